"""Park indicator values per period, scores, tiers and rankings."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.assessment import labels as _labels  # noqa: F401
