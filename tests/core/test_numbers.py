"""An indicator's value reads by its unit, the same everywhere."""

from app.core.numbers import amount, number


def test_counts_read_as_whole_numbers_with_their_unit():
    assert amount(14.0, "场") == "14 场"
    assert amount(832.0, "人次") == "832 人次"
    assert amount(1000, "人次") == "1,000 人次"
    assert amount(12.0, "场") == "12 场"


def test_ratios_read_as_percentages_with_at_most_one_decimal():
    assert amount(87.54, "%") == "87.5%"
    assert amount(100.0, "%") == "100%"
    assert number(66.66, "%") == "66.7"


def test_a_count_that_is_not_whole_keeps_two_decimals_at_most():
    assert amount(2.5, "个") == "2.5 个"
    assert amount(8.333, "场") == "8.33 场"


def test_nothing_reads_as_a_dash():
    assert amount(None, "场") == "—"
    assert number(None) == "—"
