"""Grid work of liaison officers: grid status, and later reports, demands and notices."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.gridwork import labels as _labels  # noqa: F401
