"""Annual indicator frameworks: aspects, indicators with weights, targets and rules, tiers."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.framework import labels as _labels  # noqa: F401
