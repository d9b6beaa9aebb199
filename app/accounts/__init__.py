"""Users, roles and their scope in the place tree; logins and sessions."""

# What the audit trail calls the domain's types and fields, registered as the domain loads.
from app.accounts import labels as _labels  # noqa: F401
