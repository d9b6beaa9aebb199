"""Areas (province → city → district → street), parks and grids."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.geo import labels as _labels  # noqa: F401
