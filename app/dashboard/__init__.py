"""Read-only overviews for leaders and offices: the city, a district, a park."""

# What the audit trail calls the domain's downloads, registered as the domain loads.
from app.dashboard import labels as _labels  # noqa: F401
