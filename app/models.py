"""Every domain's tables, imported in one place for Alembic and the mapper."""

from sqlmodel import SQLModel

from app.accounts.models import LoginFailure, User, UserScope, UserSession
from app.assessment.models import IndicatorValue, Period
from app.audit.models import AuditLog
from app.enterprises.models import Enterprise, Liaison
from app.framework.models import Aspect, Framework, Indicator, Tier
from app.geo.models import Area, Grid, Park

metadata = SQLModel.metadata

__all__ = [
    "Area",
    "Aspect",
    "AuditLog",
    "Enterprise",
    "Framework",
    "Grid",
    "Indicator",
    "IndicatorValue",
    "Liaison",
    "LoginFailure",
    "Park",
    "Period",
    "Tier",
    "User",
    "UserScope",
    "UserSession",
    "metadata",
]
