"""How an indicator's value reads: by its unit, the same on every page and chart.

Counts (场, 人次, 个, 人 …) are whole numbers and read as such, "14 场" rather than
"14.00 场"; a ratio (unit "%") reads with at most one decimal, "87.5%"; a count that is
not whole (an average, a share of a count) keeps at most two decimals.
"""

PERCENT = "%"


def _trimmed(value: float, digits: int) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: float | int | None, unit: str = "") -> str:
    """The number alone, formatted for its unit ("—" when there is none)."""
    if value is None:
        return "—"
    if unit == PERCENT:
        return _trimmed(float(value), 1)
    if float(value).is_integer():
        return f"{int(value):,}"
    return _trimmed(float(value), 2)


def amount(value: float | int | None, unit: str = "") -> str:
    """The number with its unit: "87.5%", "14 场", "1,000 人次"; "—" when there is none."""
    if value is None:
        return "—"
    shown = number(value, unit)
    if not unit:
        return shown
    return f"{shown}{unit}" if unit == PERCENT else f"{shown} {unit}"
