# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.imports import labels as _labels  # noqa: F401
