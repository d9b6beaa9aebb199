"""Deadlines in Chinese working days: holidays off, make-up working days on."""

from datetime import date

from app.core.calendar import (
    add_working_days,
    default_deadline,
    quarter_end,
    working_day,
    working_days_between,
)


def test_quarter_ends():
    assert [quarter_end(2025, q) for q in (1, 2, 3, 4)] == [
        date(2025, 3, 31),
        date(2025, 6, 30),
        date(2025, 9, 30),
        date(2025, 12, 31),
    ]


def test_national_day_2025_and_its_make_up_saturday():
    # 1–8 October 2025 are off; Saturday 11 October is a make-up working day.
    assert not working_day(date(2025, 10, 8)).working
    assert working_day(date(2025, 10, 11)).working
    # After 30 September: 9, 10, 11(Sat), 13, 14, 15, 16, 17, 20, 21 October.
    assert default_deadline(2025, 3).day == date(2025, 10, 21)
    assert default_deadline(2025, 3).known


def test_national_day_2026():
    # 1–7 October 2026 off; Saturday 10 October worked: the 10th working day is 20 October.
    assert default_deadline(2026, 3).day == date(2026, 10, 20)


def test_new_years_day_pushes_the_q4_deadline():
    # Q4 2024: 1 January off; 2, 3, 6, 7, 8, 9, 10, 13, 14, 15 January 2025.
    assert default_deadline(2024, 4).day == date(2025, 1, 15)


def test_a_year_not_yet_published_counts_monday_to_friday_and_says_so():
    d = default_deadline(2026, 4)
    assert d.day == date(2027, 1, 14) and not d.known
    assert not working_day(date(2027, 1, 1)).known


def test_counting_between_days():
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 21)) == 10
    assert working_days_between(date(2025, 10, 21), date(2025, 9, 30)) == -10
    assert add_working_days(date(2025, 9, 30), 1).day == date(2025, 10, 9)
