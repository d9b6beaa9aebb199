"""The assessment's answers to the framework (app.framework.hooks): which frameworks are
locked, which periods each scores, moving a year's draft periods to a new version, and
rescoring the periods a change affects, all in the caller's transaction."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.assessment.models import (
    AdjustmentCount,
    IndicatorValue,
    ParkReport,
    Period,
    ReportState,
    YearPublication,
)
from app.assessment.results import scores
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.permissions import Principal
from app.framework import hooks
from app.framework import service as frameworks
from app.framework.models import Adjustment, Framework, Indicator


def _submitted_periods():
    """Periods for which some park's report has left draft (submitted, returned, approved...)."""
    return select(ParkReport.period_id).where(ParkReport.state != ReportState.draft)


class _Periods:
    def locked_ids(self, *, session: Session) -> set[int]:
        stmt = (
            select(Period.framework_id)
            .where(col(Period.id).in_(_submitted_periods()), col(Period.framework_id).is_not(None))
            .distinct()
        )
        return {fid for fid in session.exec(stmt) if fid is not None}

    def published(self, *, session: Session, year: int) -> bool:
        stmt = select(YearPublication.id).where(YearPublication.year == year)
        return session.exec(stmt).first() is not None

    def periods_of(self, *, session: Session, framework_id: int) -> list[Any]:
        return list(
            session.exec(
                select(Period)
                .where(Period.framework_id == framework_id)
                .order_by(col(Period.year), col(Period.quarter))
            )
        )

    def periods_by_framework(self, *, session: Session) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        for p in session.exec(select(Period).order_by(col(Period.year), col(Period.quarter))):
            if p.framework_id is not None:
                found.setdefault(p.framework_id, []).append(p)
        return found

    def repoint(self, *, session: Session, who: Principal, new: Framework) -> None:
        """Moves the year's periods nobody has submitted for to the new version.

        Their values and item counts follow by code; those whose code the new version no
        longer has are dropped. Periods with submissions keep the version they were filled in.
        """
        periods = session.exec(
            select(Period).where(
                Period.year == new.year,
                sa.or_(col(Period.framework_id).is_(None), Period.framework_id != new.id),
                col(Period.id).not_in(_submitted_periods()),
            )
        ).all()
        if not periods:
            return
        new_indicators = {
            i.code: i.id for i in frameworks.indicators(session=session, framework_id=new.id)
        }
        new_items = {
            a.code: a.id for a in frameworks.adjustments(session=session, framework_id=new.id)
        }
        for period in periods:
            values = session.exec(
                select(IndicatorValue).where(IndicatorValue.period_id == period.id)
            ).all()
            codes = dict(
                session.exec(
                    select(Indicator.id, Indicator.code).where(
                        col(Indicator.id).in_({v.indicator_id for v in values})
                    )
                ).all()
            )
            moved = dropped = counts_dropped = 0
            for v in values:
                target_id = new_indicators.get(codes.get(v.indicator_id, ""))
                if target_id is None:
                    session.delete(v)
                    dropped += 1
                else:
                    v.indicator_id = target_id
                    session.add(v)
                    moved += 1
            counts = session.exec(
                select(AdjustmentCount).where(AdjustmentCount.period_id == period.id)
            ).all()
            item_codes = dict(
                session.exec(
                    select(Adjustment.id, Adjustment.code).where(
                        col(Adjustment.id).in_({c.adjustment_id for c in counts})
                    )
                ).all()
            )
            for c in counts:
                item_id = new_items.get(item_codes.get(c.adjustment_id, ""))
                if item_id is None:
                    session.delete(c)
                    counts_dropped += 1
                else:
                    c.adjustment_id = item_id
                    session.add(c)
            before = audit.snapshot(period)
            period.framework_id = new.id
            session.add(period)
            audit.record(
                session=session,
                who=who,
                action=AuditAction.update,
                obj=period,
                label=period.label,
                before=before,
                after=audit.snapshot(period)
                | {
                    "values_moved": moved,
                    "values_dropped": dropped,
                    "counts_dropped": counts_dropped,
                },
            )

    def indicator_removed(self, *, session: Session, indicator_id: int) -> None:
        # Its draft values go with it; submitted ones live in an older, unedited version.
        values = select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id)
        for v in session.exec(values):
            session.delete(v)

    def adjustment_removed(self, *, session: Session, adjustment_id: int) -> None:
        for c in session.exec(
            select(AdjustmentCount).where(AdjustmentCount.adjustment_id == adjustment_id)
        ):
            session.delete(c)

    def framework_changed(self, *, session: Session, framework_id: int) -> None:
        # Stored scores must match their inputs: the periods this framework scores are
        # rescored in the same transaction as the change.
        for period in self.periods_of(session=session, framework_id=framework_id):
            scores.store(session, period)


hooks.register(_Periods())
