"""Monthly grid reports (网格月报)."""
