"""What the dashboard pages share: the period asked for and an indicator's completion rows."""

from typing import Annotated

from fastapi import HTTPException, Query

from app.assessment.results import scoring
from app.assessment.results import service as assessment
from app.core.i18n import _

PeriodParam = Annotated[str | None, Query(alias="period", max_length=7)]


def period_results(session, label: str | None) -> assessment.PeriodResults | None:
    """The results of the period asked for (404 for none such), or of the latest one."""
    period = assessment.get_period(session=session, label=label)
    if period is None:
        if label:
            raise HTTPException(404, _("No such period: {p}").format(p=label))
        return None
    return assessment.results(session=session, period=period)


def completion_rows(res: assessment.PeriodResults, park_result) -> list[dict]:
    """Each indicator of a park's result: value, completion against its target, points."""
    rows = []
    for ind, rule in zip(res.indicators, assessment.rules(res.indicators), strict=True):
        value = park_result.values.get(ind.id)
        rows.append(
            {
                "indicator": ind,
                "value": value,
                "completion": scoring.completion(rule, value),
                "points": park_result.score.points[ind.id],
            }
        )
    return rows
