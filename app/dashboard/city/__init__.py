"""The city overview: where the reform stands across the districts."""
