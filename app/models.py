"""Every domain's tables, imported in one place for Alembic and the mapper."""

from sqlmodel import SQLModel

from app.assessment.models import IndicatorValue, Period
from app.enterprises.models import Enterprise, Liaison
from app.framework.models import Aspect, Framework, Indicator, Tier
from app.geo.models import Area, Grid, Park

metadata = SQLModel.metadata

__all__ = [
    "Area",
    "Aspect",
    "Enterprise",
    "Framework",
    "Grid",
    "Indicator",
    "IndicatorValue",
    "Liaison",
    "Park",
    "Period",
    "Tier",
    "metadata",
]
