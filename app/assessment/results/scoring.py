"""Scores, tiers and ranks as pure functions over plain data: no database, no web."""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.framework.models import ScoringRule

K = TypeVar("K", bound=Hashable)

# Scores are shown and compared to two decimals; ties are decided at that precision
# so that two parks a reader sees as equal also share a rank.
PRECISION = 2


@dataclass(frozen=True)
class Rule:
    """One indicator as scoring sees it."""

    key: Hashable
    weight: float
    target: float
    rule: ScoringRule = ScoringRule.linear
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    total: float
    points: dict[Hashable, float]
    # Indicators with no value: they earn 0 and are listed, not hidden.
    missing: tuple[Hashable, ...]

    @property
    def has_data(self) -> bool:
        return len(self.missing) < len(self.points)


def points(rule: Rule, actual: float | None) -> float:
    """Points one indicator earns for its actual value under its rule."""
    if actual is None or rule.weight <= 0:
        return 0.0
    if rule.rule is ScoringRule.yes_no:
        return rule.weight if actual else 0.0
    if rule.rule is ScoringRule.lower_better:
        # At or below target earns the full weight; above it, proportionally less.
        return rule.weight if actual <= rule.target else rule.weight * rule.target / actual
    if rule.rule is ScoringRule.steps:
        # Steps are [threshold, share] pairs: the highest threshold reached gives its share.
        share = 0.0
        for threshold, step_share in sorted(rule.params.get("steps", [])):
            if actual >= threshold:
                share = step_share
        return rule.weight * share
    return rule.weight * min(max(actual, 0.0) / rule.target, 1.0)


def completion(rule: Rule, actual: float | None) -> float | None:
    """How far the actual value is towards the target, in % (may exceed 100)."""
    if actual is None:
        return None
    if rule.rule is ScoringRule.lower_better:
        return 100.0 if actual <= 0 else round(100.0 * rule.target / actual, 1)
    return round(100.0 * actual / rule.target, 1)


def score(rules: Sequence[Rule], values: Mapping[Hashable, float]) -> Score:
    """A park's score for a period: the sum of its indicators' points."""
    # Points are rounded before they are added, so that the points a reader sees on an
    # explanation add up to exactly the total shown.
    pts = {r.key: round(points(r, values.get(r.key)), PRECISION) for r in rules}
    missing = tuple(r.key for r in rules if values.get(r.key) is None)
    return Score(total=round(sum(pts.values()), PRECISION), points=pts, missing=missing)


def tier(total: float, tiers: Iterable[tuple[str, float]]) -> str | None:
    """The highest tier whose minimum the score reaches; tiers are (name, minimum) pairs."""
    reached = [(minimum, name) for name, minimum in tiers if total >= minimum]
    return max(reached)[1] if reached else None


def ranks(scores: Mapping[K, float]) -> dict[K, int]:
    """Competition ranking ("1224"): equal scores share a rank and the next rank skips."""
    ordered = sorted(scores.values(), reverse=True)
    first_place = {}
    for i, s in enumerate(ordered, start=1):
        first_place.setdefault(round(s, PRECISION), i)
    return {k: first_place[round(s, PRECISION)] for k, s in scores.items()}


def mean(totals: Sequence[float]) -> float | None:
    """A district's score: the mean of its parks' scores, None for a district with no parks."""
    return round(sum(totals) / len(totals), PRECISION) if totals else None


def adjustment(*, bonus: bool, points_each: float, cap: float, count: int) -> float:
    """A bonus (+) or deduction (−) item: points per occurrence, at most `cap` either way."""
    amount = round(min(max(count, 0) * points_each, cap), PRECISION)
    # "+ 0.0" turns −0.0 into 0.0, so no page shows "-0.00".
    return (amount if bonus else -amount) + 0.0


def total(base: float, adjustments: Iterable[float]) -> float:
    """The score: the indicators' points plus bonuses minus deductions, never below 0."""
    return round(max(base + sum(adjustments), 0.0), PRECISION)


def movement(rank: int | None, previous: int | None) -> str:
    """↑ when the rank improved since the previous period, ↓ when it fell, — otherwise."""
    if rank is None or previous is None or rank == previous:
        return "—"
    return "↑" if rank < previous else "↓"
