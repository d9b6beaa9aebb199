"""Tables of the annual assessment framework. An indicator is data, never code."""

import enum
from typing import Any

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.core.i18n import N_, gettext
from app.core.types import str_enum


class ValueSource(enum.StrEnum):
    """Where an indicator's value comes from; the first four are computed, never typed."""

    roster = "roster"
    grids = "grids"
    facilities = "facilities"
    grid_reports = "grid_reports"
    park_report = "park_report"


class ScoringRule(enum.StrEnum):
    linear = "linear"  # weight × min(actual / target, 1)
    steps = "steps"  # thresholds → share of the weight
    yes_no = "yes_no"  # full weight when the value is non-zero
    lower_better = "lower_better"  # weight × min(target / actual, 1)


VALUE_SOURCE_LABELS = {
    ValueSource.roster: N_("Computed from the enterprise roster"),
    ValueSource.grids: N_("Computed from the grids"),
    ValueSource.facilities: N_("Computed from park facilities"),
    ValueSource.grid_reports: N_("Summed from grid reports"),
    ValueSource.park_report: N_("Reported by the park"),
}
SCORING_RULE_LABELS = {
    ScoringRule.linear: N_("Linear to target, capped at the weight"),
    ScoringRule.steps: N_("Stepped thresholds"),
    ScoringRule.yes_no: N_("Yes or no"),
    ScoringRule.lower_better: N_("Lower is better"),
}


class Framework(SQLModel, table=True):
    """One year's framework; a changed framework is a new version of the same year."""

    __table_args__ = (sa.UniqueConstraint("year", "version", name="uq_framework_year_version"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    version: int = 1
    name: str = Field(max_length=100)
    # The edition of the city's guide the framework follows, e.g. "2022版".
    edition: str = Field(max_length=20)


class Aspect(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("framework_id", "name", name="uq_aspect_name"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    name: str = Field(max_length=40)
    sort_order: int = 0


class Indicator(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("framework_id", "code", name="uq_indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    aspect_id: int = Field(foreign_key="aspect.id", index=True)
    code: str = Field(max_length=10)
    name: str = Field(max_length=60)
    unit: str = Field(max_length=20)
    source: ValueSource = Field(sa_type=str_enum(ValueSource))
    # For computed indicators, the name of the measure that computes it (see
    # assessment.measures); for reported ones, empty.
    measure: str = Field(default="", max_length=40)
    target: float = Field(gt=0)
    weight: float = Field(ge=0)
    rule: ScoringRule = Field(default=ScoringRule.linear, sa_type=str_enum(ScoringRule))
    # Rule parameters, e.g. {"steps": [[50, 0.5], [80, 0.8], [100, 1.0]]}.
    rule_params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    sort_order: int = 0


class Tier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    name: str = Field(max_length=20)
    min_score: float
    # A CSS colour name from the tier palette, so tiers look the same everywhere.
    colour: str = Field(default="grey", max_length=20)
    sort_order: int = 0


class AdjustmentKind(enum.StrEnum):
    bonus = "bonus"
    deduction = "deduction"


class AdjustmentSource(enum.StrEnum):
    late_reports = "late_reports"  # counted by the system: quarterly reports submitted late
    reported = "reported"  # counted by the park, e.g. provincial honours


ADJUSTMENT_KIND_LABELS = {
    AdjustmentKind.bonus: N_("Bonus"),
    AdjustmentKind.deduction: N_("Deduction"),
}
ADJUSTMENT_SOURCE_LABELS = {
    AdjustmentSource.late_reports: N_("Counted from late quarterly reports"),
    AdjustmentSource.reported: N_("Reported by the park"),
}


class Adjustment(SQLModel, table=True):
    """A bonus or deduction item (加分/扣分): points per occurrence, capped."""

    __table_args__ = (sa.UniqueConstraint("framework_id", "code", name="uq_adjustment_code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    code: str = Field(max_length=10)
    name: str = Field(max_length=60)
    kind: AdjustmentKind = Field(sa_type=str_enum(AdjustmentKind))
    source: AdjustmentSource = Field(sa_type=str_enum(AdjustmentSource))
    points: float = Field(gt=0)  # per occurrence, always positive; the kind gives the sign
    cap: float = Field(gt=0)
    sort_order: int = 0


class TargetOverride(SQLModel, table=True):
    """A park's own target for an indicator, with the reason it differs."""

    __tablename__ = "target_override"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "park_id", name="uq_target_override"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True, ondelete="CASCADE")
    park_id: int = Field(foreign_key="park.id", index=True)
    target: float = Field(gt=0)
    reason: str = Field(max_length=200)


# Input shapes of the framework editor. Each sheet of the editor (aspects, indicators,
# tiers, adjustments, overrides) posts every row at once; a row creates an item or
# replaces the stored one, so one shape serves both.


def _strip(v: object) -> object:
    return v.strip() if isinstance(v, str) else v


def _stripped(*fields: str) -> Any:
    """A validator that trims the fields' text before it is checked."""
    return field_validator(*fields, mode="before")(_strip)


# Number ranges are checked by validators rather than Field(gt=..., le=...): the shared
# messages would print a float field's bounds as "0.0" and "100.0", and read "at least 0"
# for a bound that refuses 0.


def _more_than_zero(v: float) -> float:
    if v <= 0:
        raise ValueError(gettext("must be more than 0."))
    return v


def _positive(*fields: str) -> Any:
    """A validator that refuses zero and negative numbers."""
    return field_validator(*fields)(_more_than_zero)


def _zero_to_hundred(v: float) -> float:
    if not 0 <= v <= 100:
        raise ValueError(gettext("must be between 0 and 100."))
    return v


def _percentage(*fields: str) -> Any:
    """A validator that keeps numbers between 0 and 100."""
    return field_validator(*fields)(_zero_to_hundred)


def _up_to_hundred(v: float) -> float:
    if v > 100:
        raise ValueError(gettext("must be at most 100."))
    return v


class TierColour(enum.StrEnum):
    """The tier palette; app.css has a badge colour for each."""

    green = "green"
    blue = "blue"
    amber = "amber"
    red = "red"
    grey = "grey"


TIER_COLOUR_LABELS = {
    TierColour.green: N_("Green"),
    TierColour.blue: N_("Blue"),
    TierColour.amber: N_("Amber"),
    TierColour.red: N_("Red"),
    TierColour.grey: N_("Grey"),
}


class FrameworkCopy(SQLModel):
    source_id: int
    year: int = Field(ge=2000, le=2100)


FRAMEWORK_COPY_LABELS = {"source_id": N_("Framework to copy"), "year": N_("Year")}


class AspectCreate(SQLModel):
    name: str = Field(min_length=1, max_length=40)

    _trim = _stripped("name")


ASPECT_LABELS = {"name": N_("Aspect name")}


class IndicatorCreate(SQLModel):
    code: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=60)
    aspect_id: int
    unit: str = Field(min_length=1, max_length=20)
    source: ValueSource
    measure: str = Field(default="", max_length=40)
    target: float
    weight: float
    rule: ScoringRule = ScoringRule.linear
    # "threshold:share" pairs as typed, e.g. "50:0.5, 80:0.8, 100:1"; parsed by the service.
    steps: str = Field(default="", max_length=200)

    _trim = _stripped("code", "name", "unit", "measure", "steps")
    _check = _positive("target")
    _range = _percentage("weight")


INDICATOR_LABELS = {
    "code": N_("Code"),
    "name": N_("Indicator name"),
    "aspect_id": N_("Aspect"),
    "unit": N_("Unit"),
    "source": N_("Value source"),
    "measure": N_("Computed by"),
    "target": N_("Target"),
    "weight": N_("Weight"),
    "rule": N_("Scoring rule"),
    "steps": N_("Steps"),
}


class TierCreate(SQLModel):
    name: str = Field(min_length=1, max_length=20)
    min_score: float
    colour: TierColour = TierColour.grey

    _trim = _stripped("name")
    _range = _percentage("min_score")


TIER_LABELS = {
    "name": N_("Tier name"),
    "min_score": N_("Minimum score"),
    "colour": N_("Colour"),
}


class AdjustmentCreate(SQLModel):
    code: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=60)
    kind: AdjustmentKind
    source: AdjustmentSource
    points: float
    cap: float

    _trim = _stripped("code", "name")
    _check = _positive("points", "cap")
    _most = field_validator("points", "cap")(_up_to_hundred)


ADJUSTMENT_LABELS = {
    "code": N_("Code"),
    "name": N_("Item name"),
    "kind": N_("Bonus or deduction"),
    "source": N_("Counted from"),
    "points": N_("Points per occurrence"),
    "cap": N_("Cap"),
}


class TargetOverrideCreate(SQLModel):
    park_id: int
    indicator_id: int
    target: float
    reason: str = Field(min_length=1, max_length=200)

    _trim = _stripped("reason")
    _check = _positive("target")


TARGET_OVERRIDE_LABELS = {
    "park_id": N_("Park"),
    "indicator_id": N_("Indicator"),
    "target": N_("Park's target"),
    "reason": N_("Reason"),
}
