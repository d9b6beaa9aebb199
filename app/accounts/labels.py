"""How the audit trail names people and their accounts' fields (app.core.labels)."""

from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import USER_LABELS, User
from app.core import labels
from app.core.i18n import N_
from app.core.labels import Lookup
from app.core.permissions import ROLE_LABELS

# A scope place is stored as "area:3", "park:5" or "grid:12".
_PLACES = {"area": "Area", "park": "Park", "grid": "Grid"}


def _scope(value: Any, lookup: Lookup) -> str | None:
    """A user's scope by its places' names: "梁溪区、无锡华夏家居港"."""
    if not isinstance(value, list):
        return labels.plain(value, lookup)
    names = []
    for token in value:
        kind, _sep, ident = str(token).partition(":")
        place = _PLACES.get(kind)
        name = lookup(place, int(ident)) if place and ident.isdigit() else None
        names.append(name or str(token))
    return "、".join(names) or None


labels.register(
    "User",
    N_("User account"),
    fields={
        "username": USER_LABELS["username"],
        "display_name": USER_LABELS["display_name"],
        "role": USER_LABELS["role"],
        "scope": USER_LABELS["scope"],
        "liaison_id": USER_LABELS["liaison_id"],
        "is_active": N_("Active"),
        "password_changed_at": N_("Password changed at"),
        # The unlock's own values: the lock the office lifted.
        "recent_failed_logins": N_("Recent failed logins"),
        "login_paused": N_("Login paused"),
    },
    values={"role": ROLE_LABELS},
    refs={"liaison_id": "Liaison"},
    formats={"scope": _scope},
    names=labels.by_name(User, "display_name", route="user", param="user_id"),
)


def _people(session: Session, usernames: set[str]) -> dict[str, str]:
    rows = session.exec(
        select(User.username, User.display_name).where(col(User.username).in_(usernames))
    )
    return {u: n for u, n in rows if n}


labels.register_people(_people)
