"""How the audit trail names the assessment's types and fields (app.core.labels)."""

from sqlmodel import Session, col, select

from app.assessment.models import (
    REPORT_STATE_LABELS,
    VALUE_ORIGIN_LABELS,
    Evidence,
    IndicatorValue,
    ParkReport,
    Period,
)
from app.core import labels
from app.core.i18n import N_, gettext
from app.core.labels import Named
from app.framework.models import Indicator
from app.geo.models import Park

PERIOD = N_("{year} Q{q}")


def period_name(year: int, quarter: int) -> str:
    """ "2026年第3季度"."""
    return gettext(PERIOD).format(year=year, q=quarter)


def _periods(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(Period.id, Period.year, Period.quarter).where(col(Period.id).in_(ids))
    )
    return {i: Named(period_name(y, q)) for i, y, q in rows}


def _reports(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(ParkReport.id, ParkReport.park_id, Park.name, Period.year, Period.quarter)
        .join(Park, col(Park.id) == ParkReport.park_id)
        .join(Period, col(Period.id) == ParkReport.period_id)
        .where(col(ParkReport.id).in_(ids))
    )
    return {
        i: Named(
            f"{park} {period_name(y, q)}", "report", {"park_id": park_id, "period": f"{y}Q{q}"}
        )
        for i, park_id, park, y, q in rows
    }


def _values(session: Session, ids: set[int]) -> dict[int, Named]:
    rows = session.exec(
        select(
            IndicatorValue.id,
            IndicatorValue.park_id,
            Park.name,
            Period.year,
            Period.quarter,
            Indicator.code,
            Indicator.name,
        )
        .join(Park, col(Park.id) == IndicatorValue.park_id)
        .join(Period, col(Period.id) == IndicatorValue.period_id)
        .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
        .where(col(IndicatorValue.id).in_(ids))
    )
    return {
        i: Named(
            f"{park} {period_name(y, q)} {code} {name}",
            "report",
            {"park_id": park_id, "period": f"{y}Q{q}"},
        )
        for i, park_id, park, y, q, code, name in rows
    }


labels.register(
    "Period",
    N_("Assessment period"),
    fields={
        "year": N_("Year"),
        "quarter": N_("Quarter"),
        "deadline": N_("Deadline"),
        "framework_id": N_("Framework"),
        "values_moved": N_("Values moved to the new version"),
        "values_dropped": N_("Values dropped"),
        "counts_dropped": N_("Bonus and deduction counts dropped"),
    },
    refs={"framework_id": "Framework"},
    names=_periods,
)
labels.register(
    "ParkReport",
    N_("Quarterly report"),
    fields={
        "park_id": N_("Park"),
        "period_id": N_("Period"),
        "state": N_("Status"),
        "submitted_at": N_("Submitted at"),
        "first_submitted_at": N_("First submitted at"),
        "reviewed_at": N_("Reviewed at"),
        "review_comment": N_("Review comment"),
    },
    values={"state": REPORT_STATE_LABELS},
    refs={"park_id": "Park", "period_id": "Period"},
    names=_reports,
)
labels.register(
    "IndicatorValue",
    N_("Indicator value"),
    fields={
        "park_id": N_("Park"),
        "period_id": N_("Period"),
        "indicator_id": N_("Indicator"),
        "value": N_("Value"),
        "origin": N_("Origin"),
        "basis": N_("Computed from"),
        "note": N_("Explanation"),
        "review_comment": N_("Review comment"),
    },
    values={"origin": VALUE_ORIGIN_LABELS},
    refs={"park_id": "Park", "period_id": "Period", "indicator_id": "Indicator"},
    names=_values,
)
labels.register(
    "AdjustmentCount",
    N_("Bonus or deduction count"),
    fields={
        "park_id": N_("Park"),
        "period_id": N_("Period"),
        "adjustment_id": N_("Bonus or deduction item"),
        "count": N_("Times"),
        "note": N_("Note"),
    },
    refs={"park_id": "Park", "period_id": "Period", "adjustment_id": "Adjustment"},
)
labels.register(
    "Evidence",
    N_("Evidence"),
    fields={
        "filename": N_("File name"),
        "size": N_("Size in bytes"),
        "value_id": N_("Indicator value"),
    },
    refs={"value_id": "IndicatorValue"},
    names=labels.by_name(Evidence, "filename", route="evidence"),
)
labels.register("YearPublication", N_("Year-end publication"), fields={"year": N_("Year")})
labels.register("Rankings", N_("Rankings"))
