"""Every domain's tables, imported in one place for Alembic and the mapper."""

from sqlmodel import SQLModel

from app.accounts.models import LoginFailure, PasswordHistory, User, UserScope, UserSession
from app.assessment.models import (
    AdjustmentCount,
    AspectScore,
    DistrictAspectScore,
    DistrictScore,
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
    Score,
    YearPublication,
)
from app.audit.models import AuditLog
from app.enterprises.models import Enterprise, Liaison
from app.framework.models import Adjustment, Aspect, Framework, Indicator, TargetOverride, Tier
from app.geo.models import Area, Grid, Park
from app.gridwork.models import (
    Demand,
    MonthlyPhoto,
    MonthlyReport,
    Notice,
    NoticeAttachment,
    NoticeTarget,
)
from app.imports.models import ImportFile, ImportJob, ImportLine

metadata = SQLModel.metadata

__all__ = [
    "Adjustment",
    "AdjustmentCount",
    "Area",
    "Aspect",
    "AspectScore",
    "AuditLog",
    "Demand",
    "DistrictAspectScore",
    "DistrictScore",
    "Enterprise",
    "Evidence",
    "Framework",
    "Grid",
    "ImportFile",
    "ImportJob",
    "ImportLine",
    "Indicator",
    "IndicatorValue",
    "Liaison",
    "LoginFailure",
    "MonthlyPhoto",
    "MonthlyReport",
    "Notice",
    "NoticeAttachment",
    "NoticeTarget",
    "Park",
    "ParkReport",
    "PasswordHistory",
    "Period",
    "Score",
    "TargetOverride",
    "Tier",
    "User",
    "UserScope",
    "UserSession",
    "YearPublication",
    "metadata",
]
