"""The audit trail: who changed what, when, from where, with before and after values."""

# What the audit trail calls its own rows' values, registered as the domain loads.
from app.audit import labels as _labels  # noqa: F401
