"""Working days in China (weekends, public holidays and make-up working days) and deadlines.

chinese-calendar knows each year once the State Council has published its holidays; for a
year it does not know yet, days are counted Monday to Friday and the result says so.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

DEFAULT_DEADLINE_WORKING_DAYS = 10


@dataclass(frozen=True)
class WorkingDay:
    working: bool
    known: bool  # False: the year's holidays are not published yet; Monday–Friday assumed


def working_day(day: date) -> WorkingDay:
    """Whether a day is a working day in China, and whether the official calendar knows it."""
    try:
        return WorkingDay(chinese_calendar.is_workday(day), True)
    except NotImplementedError:
        return WorkingDay(day.weekday() < 5, False)


@dataclass(frozen=True)
class Deadline:
    day: date
    known: bool  # False when any day counted lies in a year the calendar does not know


def add_working_days(start: date, n: int) -> Deadline:
    """The n-th working day after `start` (not counting `start` itself)."""
    day, counted, known = start, 0, True
    while counted < n:
        day += timedelta(days=1)
        wd = working_day(day)
        known = known and wd.known
        counted += wd.working
    return Deadline(day, known)


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter."""
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def default_deadline(
    year: int, quarter: int, days: int = DEFAULT_DEADLINE_WORKING_DAYS
) -> Deadline:
    """A quarter's report deadline: `days` working days after the quarter ends."""
    return add_working_days(quarter_end(year, quarter), days)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        working_day(start + timedelta(days=i)).working for i in range(1, (end - start).days + 1)
    )
