"""Scope rule of the audit trail."""

import sqlalchemy as sa

from app.audit.models import AuditLog
from app.core.permissions import register

# The whole trail is for those whose role has the audit action (the city office).
register(AuditLog, lambda p, action: sa.true())
