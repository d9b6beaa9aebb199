"""Results: scoring as pure functions, stored scores recomputed from the inputs, and the
results as pages read them."""
