"""Scores, tiers and ranks on hand-computed cases."""

import pytest

from app.assessment.results import scoring
from app.assessment.results.scoring import Rule
from app.framework.defaults import INDICATORS, TIERS
from app.framework.models import ScoringRule

DEFAULT_RULES = [Rule(key=d.code, weight=d.weight, target=d.target) for d in INDICATORS]
TIER_PAIRS = [(name, minimum) for name, minimum, _ in TIERS]


def test_default_weights_add_up_to_100():
    assert sum(d.weight for d in INDICATORS) == 100
    assert len(INDICATORS) == 12
    assert len({d.aspect for d in INDICATORS}) == 9


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(0, 0.0), (50, 6.0), (98, 11.76), (100, 12.0), (130, 12.0), (None, 0.0), (-5, 0.0)],
)
def test_linear_rule_is_weight_times_capped_ratio(actual, expected):
    assert scoring.points(Rule("I01", weight=12, target=100), actual) == pytest.approx(expected)


def test_other_rules():
    assert scoring.points(Rule("x", 10, 1, ScoringRule.yes_no), 1) == 10
    assert scoring.points(Rule("x", 10, 1, ScoringRule.yes_no), 0) == 0
    # 3 incidents against a ceiling of 2: 10 × 2/3.
    assert scoring.points(Rule("x", 10, 2, ScoringRule.lower_better), 3) == pytest.approx(
        6.6667, abs=1e-4
    )
    assert scoring.points(Rule("x", 10, 2, ScoringRule.lower_better), 1) == 10
    steps = Rule("x", 10, 100, ScoringRule.steps, {"steps": [[80, 0.8], [50, 0.5], [100, 1.0]]})
    assert [scoring.points(steps, v) for v in (40, 50, 79, 80, 120)] == [0, 5, 5, 8, 10]


def test_park_score_by_hand():
    # A park at exactly half of every target earns half of every weight: 50.
    half = {d.code: d.target / 2 for d in INDICATORS}
    assert scoring.score(DEFAULT_RULES, half).total == 50.0

    # Hand-computed mix: I01 80 % of 100 → 12×0.8 = 9.6; I02 100 → 8; I03 6 of 12 → 4;
    # I08 98 → 10; everything else missing → 0. Total 31.6.
    s = scoring.score(DEFAULT_RULES, {"I01": 80, "I02": 100, "I03": 6, "I08": 98})
    assert s.total == 31.6
    assert s.points["I01"] == pytest.approx(9.6)
    assert len(s.missing) == 8 and s.has_data


def test_park_without_values_scores_zero_and_is_flagged():
    s = scoring.score(DEFAULT_RULES, {})
    assert s.total == 0 and not s.has_data and len(s.missing) == 12


@pytest.mark.parametrize(
    ("total", "tier"),
    [
        (100, "第一等次"),
        (90, "第一等次"),
        (89.99, "第二等次"),
        (75, "第二等次"),
        (60, "第三等次"),
        (59.99, "第四等次"),
        (0, "第四等次"),
    ],
)
def test_tiers_at_their_thresholds(total, tier):
    assert scoring.tier(total, TIER_PAIRS) == tier


def test_equal_scores_share_a_rank_and_the_next_rank_skips():
    assert scoring.ranks({"a": 91.5, "b": 88, "c": 88, "d": 70, "e": 91.5, "f": 0}) == {
        "a": 1,
        "e": 1,
        "b": 3,
        "c": 3,
        "d": 5,
        "f": 6,
    }
    # Ties are judged at the shown precision (two decimals).
    assert scoring.ranks({"a": 80.001, "b": 80.004, "c": 79.99}) == {"a": 1, "b": 1, "c": 3}
    assert scoring.ranks({}) == {}


def test_district_score_is_the_mean_of_its_parks():
    assert scoring.mean([90.0, 70.0, 0.0]) == pytest.approx(53.33)
    assert scoring.mean([]) is None


def test_completion():
    assert scoring.completion(Rule("x", 8, 500), 750) == 150.0
    assert scoring.completion(Rule("x", 8, 500), None) is None
    assert scoring.completion(Rule("x", 10, 2, ScoringRule.lower_better), 4) == 50.0


def test_movement_arrows():
    assert scoring.movement(3, 5) == "↑"
    assert scoring.movement(5, 3) == "↓"
    assert scoring.movement(4, 4) == "—"
    assert scoring.movement(4, None) == "—"


def test_bonus_and_deduction_items_are_capped():
    # −1 per overdue report, at most 5; +2 per provincial honour, at most 5.
    assert scoring.adjustment(bonus=False, points_each=1, cap=5, count=3) == -3
    assert scoring.adjustment(bonus=False, points_each=1, cap=5, count=9) == -5
    assert scoring.adjustment(bonus=True, points_each=2, cap=5, count=2) == 4
    assert scoring.adjustment(bonus=True, points_each=2, cap=5, count=3) == 5
    assert scoring.total(88.5, [-3, 4]) == 89.5
    assert scoring.total(2.0, [-5]) == 0.0  # never below zero
