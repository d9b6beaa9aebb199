"""Areas (province → city → district → street), parks and grids."""
