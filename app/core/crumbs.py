"""Where a page sits: the viewer's home and the trail of pages above the one they read.

Every signed-in page shows a breadcrumb, home › … › this page, drawn once in base.html:
pages in the place tree (a park, a grid and what hangs below them) pass their `ancestors`
as before; every other page is placed by its route name in `ROUTES` below, and its own
title (the template's title block) is the last crumb.

Which page is a viewer's home depends on their role and their places, which the accounts
domain knows and core does not: accounts registers the rule (`register_home`) as it loads.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.core.i18n import N_, gettext
from app.core.permissions import Principal
from app.core.templating import env


@dataclass(frozen=True)
class Home:
    """A viewer's home page as a route name and its path parameters (a view or template
    turns it into a URL), with what the menu shows of the viewer's own places."""

    route: str
    params: dict[str, int] = field(default_factory=dict)
    # A district office's own districts as (id, name), for the menu.
    districts: tuple[tuple[int, str], ...] = ()
    # Whether the city overview is one of the viewer's pages (not a liaison's).
    overview: bool = True


@dataclass(frozen=True)
class Crumb:
    """A page's title (an English msgid) and the page above it (None: the viewer's home)."""

    title: str
    parent: str | None = None


# Pages outside the place tree, by route name. A parent must be a route without path
# parameters (its link is built from its name alone).
ROUTES: dict[str, Crumb] = {
    "overview": Crumb(N_("City overview")),
    "district": Crumb(N_("District")),
    "my_grids": Crumb(N_("My grids")),
    "rankings": Crumb(N_("Rankings")),
    "reports": Crumb(N_("Quarterly reports")),
    "notices": Crumb(N_("Notices and tasks")),
    "notices_new": Crumb(N_("Send a notice or task"), "notices"),
    "notices_notice": Crumb(N_("Notice"), "notices"),
    "demands": Crumb(N_("Worker demands")),
    "monthly_waiting": Crumb(N_("Monthly grid reports to confirm")),
    "imports": Crumb(N_("Roster import")),
    "import_job": Crumb(N_("Roster import"), "imports"),
    "users": Crumb(N_("Users")),
    "user_new": Crumb(N_("New user"), "users"),
    "user": Crumb(N_("Users"), "users"),
    "audit": Crumb(N_("Audit trail")),
    "frameworks": Crumb(N_("Assessment frameworks")),
    "framework": Crumb(N_("Assessment frameworks"), "frameworks"),
    "password_form": Crumb(N_("Change password")),
    "login_notice": Crumb(N_("Failed logins since your last login")),
}

HomeRule = Callable[..., Home]
_home_rule: HomeRule | None = None
# Without a rule (core alone, a test app without accounts) everyone's home is the overview.
OVERVIEW = Home("overview")


def register_home(rule: HomeRule) -> None:
    """Registers the rule `rule(session=..., who=...) -> Home` (accounts does, as it loads)."""
    global _home_rule
    _home_rule = rule


def home(*, session: Session, who: Principal) -> Home:
    """The principal's home page, by the registered rule."""
    return _home_rule(session=session, who=who) if _home_rule else OVERVIEW


def home_of(request: Any) -> Home | None:
    """The signed-in viewer's home for this request (None before login), worked out once
    per request: the menu, the brand link and the breadcrumb all ask for it."""
    state = request.state
    who = getattr(state, "principal", None)
    if who is None:
        return None
    found = getattr(state, "parkgrid_home", None)
    if found is None:
        session = getattr(state, "db_session", None)
        if session is not None and session.in_transaction():
            found = home(session=session, who=who)
        else:
            # An error page after the request's transaction ended (or a test app whose
            # sessions are its own): a short read of its own. The error may be the
            # database itself (busy, gone): the page must still render, with the menu
            # every viewer has rather than a second error.
            try:
                with request.app.state.sessions(False) as own:
                    found = home(session=own, who=who)
            except Exception:
                found = OVERVIEW
        state.parkgrid_home = found
    return found


def is_home(request: Any, home: Home) -> bool:
    """Whether the request is for the viewer's home page itself."""
    route = getattr(request.scope.get("route"), "name", None)
    params = {k: str(v) for k, v in request.path_params.items()}
    return route == home.route and params == {k: str(v) for k, v in home.params.items()}


def trail(request: Any, home: Home) -> list[tuple[str, str]]:
    """The crumbs above a page outside the place tree, as (label, URL), home first; empty
    on the home page itself. The page's own title follows them, not a link."""
    if is_home(request, home):
        return []
    url_for = request.url_for
    crumbs: list[tuple[str, str]] = []
    name = getattr(request.scope.get("route"), "name", None)
    crumb = ROUTES.get(name or "")
    parent = crumb.parent if crumb else None
    seen: set[str] = set()
    while parent and parent != home.route and parent not in seen:
        seen.add(parent)
        crumbs.append((gettext(ROUTES[parent].title), str(url_for(parent))))
        parent = ROUTES[parent].parent
    crumbs.append((gettext(N_("Home")), str(url_for(home.route, **home.params))))
    crumbs.reverse()
    return crumbs


# base.html asks these of every page (registered here, beside what they answer).
env.globals.update(home_of=home_of, crumb_trail=trail)
