"""Personal data minimised: mobile and identity numbers masked outside the viewer's own place.

A viewer's own place is where the role does its daily work with the people in it: a grid
liaison's own grids, a park office's own parks. District and city offices and leaders see
the numbers masked in lists, pages and exports, and ask for one in full with an explicit,
audited action. Command-line work (the system principal) sees them in full.
"""

import re

from app.core.permissions import Principal

HIDDEN = "*"
# What `mask` makes of a mobile (11 digits) or an identity number (18 characters).
MASKED = re.compile(r"^[0-9]{3}\*+[0-9Xx]{4}$")


def mask(number: str | None) -> str:
    """The number with all but its first three and last four characters hidden: 138****2982."""
    text = (number or "").strip()
    if len(text) <= 7:
        return HIDDEN * len(text)  # too short to keep both ends and still hide anything
    return text[:3] + HIDDEN * (len(text) - 7) + text[-4:]


def is_masked(text: str) -> bool:
    """Whether a value is a number as `mask` shows it."""
    return bool(MASKED.match(text.strip()))


def matches(masked: str, number: str) -> bool:
    """Whether a masked value is what `mask` makes of this number."""
    return mask(number) == masked.strip()


def sees_in_full(who: Principal, *, park_id: int | None, grid_ids: set[int] | None = None) -> bool:
    """Whether the viewer sees the numbers of this place in full: a park's (park_id) or,
    for a liaison, those of the grids given (the person serves one of them)."""
    if who.role == "system":
        return True
    if who.role == "park_admin":
        return park_id is not None and park_id in who.park_ids
    if who.role == "grid_liaison":
        return bool(grid_ids and grid_ids & who.grid_ids)
    return False


def shown(
    who: Principal, number: str | None, *, park_id: int | None, grid_ids: set[int] | None = None
) -> str:
    """The number as the viewer may see it: in full in their own place, masked elsewhere."""
    if not number:
        return ""
    if sees_in_full(who, park_id=park_id, grid_ids=grid_ids):
        return number
    return mask(number)
