"""Every domain's tables, imported in one place for Alembic and the mapper, with their
scope rules: each domain's scope module registers its tables' rules with core as it loads,
so the rules are complete whenever the tables are (the app and the command line import
this module). The assessment registers with the framework the same way (its periods
module). The scope modules are imported for what they register, not for a name."""

from sqlmodel import SQLModel

from app.accounts import scope as _accounts_scope  # noqa: F401
from app.accounts.models import LoginFailure, PasswordHistory, User, UserScope, UserSession
from app.assessment import periods as _assessment_periods  # noqa: F401
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
from app.audit import scope as _audit_scope  # noqa: F401
from app.audit.models import AuditLog
from app.enterprises import scope as _enterprises_scope  # noqa: F401
from app.enterprises.models import Enterprise, Liaison
from app.framework.models import Adjustment, Aspect, Framework, Indicator, TargetOverride, Tier
from app.geo import scope as _geo_scope  # noqa: F401
from app.geo.models import Area, Grid, Park
from app.gridwork import scope as _gridwork_scope  # noqa: F401
from app.gridwork.models import (
    Demand,
    MonthlyPhoto,
    MonthlyReport,
    Notice,
    NoticeAttachment,
    NoticeTarget,
)
from app.imports import scope as _imports_scope  # noqa: F401
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
