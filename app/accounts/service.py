"""Accounts: users and their scope, passwords, logins with throttling, database sessions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, func, select, update

from app.accounts.models import (
    USER_LABELS,
    LoginFailure,
    Role,
    User,
    UserCreate,
    UserScope,
    UserSession,
    UserUpdate,
)
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import permissions
from app.core.config import Settings
from app.core.errors import Invalid
from app.core.forms import parse
from app.core.i18n import _, gettext
from app.core.permissions import Principal
from app.core.security import (
    MIN_PASSWORD_LENGTH,
    common_passwords,
    new_token,
    passwords,
    token_hash,
)
from app.core.types import utcnow
from app.enterprises.models import Liaison
from app.geo.models import Area, AreaLevel, Grid, Park

DEMO_PASSWORD = "parkgrid-demo"


def labels() -> dict[str, str]:
    return {k: gettext(v) for k, v in USER_LABELS.items()}


# ---- scope -------------------------------------------------------------------------


def _area_subtree(session: Session, roots: set[int]) -> frozenset[int]:
    """The areas in `roots` and every area below them, read down the tree in one query
    (a recursive CTE walks the parent_id index: a district office reads its own streets,
    not the province's every area)."""
    if not roots:
        return frozenset()
    tree = select(Area.id).where(col(Area.id).in_(roots)).cte("subtree", recursive=True)
    tree = tree.union(select(Area.id).join(tree, col(Area.parent_id) == tree.c.id))
    return frozenset(session.exec(select(tree.c.id)))


def principal(
    *, session: Session, user: User, address: str = "", session_key: str = ""
) -> Principal:
    """The user with their scope expanded down the tree, as permissions see them.

    Built once per request, after `resolve` has checked the session and the account: one
    query reads the scope's places with the scoped grids' parks and names and the scoped
    parks' names, a second one the area subtree, only when the scope has areas.

    It is not kept from one request to the next: what it expands lives in tables no version
    stamp covers (the scope rows, deleted and re-inserted by every edit; the area tree; the
    park each grid is in), and every worker process would keep its own copy, so a revoked
    scope or a moved area could outlive the change in another process.
    """
    rows = session.exec(
        select(UserScope, Grid.park_id, Grid.name, Park.name)
        .outerjoin(Grid, col(Grid.id) == col(UserScope.grid_id))
        .outerjoin(Park, col(Park.id) == col(UserScope.park_id))
        .where(UserScope.user_id == user.id)
    ).all()
    grids = sorted((s.grid_id, name, park_id) for s, park_id, name, _p in rows if s.grid_id)
    parks = sorted((s.park_id, name) for s, _g, _n, name in rows if s.park_id)
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        address=address,
        area_ids=_area_subtree(session, {s.area_id for s, *_ in rows if s.area_id}),
        park_ids=frozenset(pid for pid, _name in parks),
        parks=tuple(parks),
        grid_ids=frozenset(gid for gid, _name, _park in grids),
        view_park_ids=frozenset(park for _gid, _name, park in grids),
        grids=tuple((gid, name) for gid, name, _park in grids),
        session_key=session_key,
    )


# Which kind and level of place each role's scope is, and how many places it may have.
ROLE_SCOPE = {
    Role.city_admin: ("area", {AreaLevel.city, AreaLevel.province}, False),
    Role.district_office: ("area", {AreaLevel.district}, False),
    Role.park_admin: ("park", None, False),
    Role.grid_liaison: ("grid", None, True),
    Role.leader: ("area", {AreaLevel.city, AreaLevel.district}, False),
}
MODELS = {"area": Area, "park": Park, "grid": Grid}


def _places(session: Session, who: Principal, role: Role, scope: list[str]) -> list[UserScope]:
    """Checks the places chosen for a role against the role and the administrator's own scope."""
    kind, levels, many = ROLE_SCOPE[role]
    places: list[UserScope] = []
    for token in dict.fromkeys(scope):
        k, _sep, raw = token.partition(":")
        if k != kind or not raw.isdigit():
            raise Invalid({"scope": _("This role's scope is not that kind of place.")})
        obj = session.exec(
            permissions.restrict(
                select(MODELS[k]).where(MODELS[k].id == int(raw)), who, "admin", MODELS[k]
            )
        ).first()
        if obj is None:
            raise Invalid({"scope": _("The scope is outside what you administer.")})
        if levels and obj.level not in levels:
            raise Invalid({"scope": _("This role's scope is not that kind of place.")})
        places.append(UserScope(**{f"{k}_id": obj.id}))
    if not places or (len(places) > 1 and not many):
        raise Invalid({"scope": _("Choose exactly one place for this role.")})
    return places


def scopes_of(*, session: Session, user_id: int) -> list[UserScope]:
    """Gets a user's scope places."""
    return list(session.exec(select(UserScope).where(UserScope.user_id == user_id)))


def scope_tokens(scopes: list[UserScope]) -> list[str]:
    return [
        f"area:{s.area_id}"
        if s.area_id
        else f"park:{s.park_id}"
        if s.park_id
        else f"grid:{s.grid_id}"
        for s in scopes
    ]


def _set_scope(session: Session, user: User, places: list[UserScope]) -> None:
    session.execute(delete(UserScope).where(col(UserScope.user_id) == user.id))
    for place in places:
        place.user_id = user.id
        session.add(place)
    session.flush()


def _snapshot(session: Session, user: User) -> dict[str, Any]:
    return {
        **audit.snapshot(user),
        "scope": scope_tokens(scopes_of(session=session, user_id=user.id)),
    }


# ---- passwords ---------------------------------------------------------------------


def check_password(password: str, *, username: str = "", field: str = "password") -> None:
    """Refuses short and common passwords; no composition rules (NIST SP 800-63B)."""
    label = labels()[field]
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            {
                field: _("{field} needs at least {n} characters.").format(
                    field=label, n=MIN_PASSWORD_LENGTH
                )
            }
        )
    if password.lower() in common_passwords() or password.lower() == username.lower():
        raise Invalid(
            {
                field: _("{field} is too common or too easy to guess; choose another.").format(
                    field=label
                )
            }
        )


def _hash(password: str) -> str:
    return passwords.hash(password)


# ---- users -------------------------------------------------------------------------


def list_users(*, session: Session, who: Principal) -> list[User]:
    """The users the principal administers, by username."""
    return list(
        session.exec(
            permissions.restrict(select(User).order_by(col(User.username)), who, "admin", User)
        )
    )


def get_user(*, session: Session, who: Principal, user_id: int) -> User:
    """Gets a user the principal administers; NotFound otherwise."""
    return permissions.get(session, who, "admin", User, user_id)


def create_user(*, session: Session, who: Principal, data: dict[str, Any]) -> User:
    """Creates a user with a role and scope within the administrator's own scope."""
    form = parse(UserCreate, data, labels())
    if session.exec(select(User.id).where(User.username == form.username)).first():
        raise Invalid({"username": _("This username is taken.")})
    check_password(form.password, username=form.username)
    places = _places(session, who, form.role, form.scope)
    user = User(
        username=form.username,
        display_name=form.display_name,
        role=form.role,
        liaison_id=form.liaison_id if form.role is Role.grid_liaison else None,
        password_hash=_hash(form.password),
    )
    session.add(user)
    session.flush()
    _set_scope(session, user, places)
    permissions.recheck(session, who, "admin", user)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.create,
        obj=user,
        after=_snapshot(session, user),
    )
    return user


def update_user(*, session: Session, who: Principal, user_id: int, data: dict[str, Any]) -> User:
    """Changes a user's name, role and scope."""
    user = get_user(session=session, who=who, user_id=user_id)
    form = parse(UserUpdate, data, labels())
    before = _snapshot(session, user)
    places = _places(session, who, form.role, form.scope)
    user.display_name, user.role = form.display_name, form.role
    user.liaison_id = form.liaison_id if form.role is Role.grid_liaison else None
    session.add(user)
    _set_scope(session, user, places)
    permissions.recheck(session, who, "admin", user)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        obj=user,
        before=before,
        after=_snapshot(session, user),
    )
    return user


def reset_password(*, session: Session, who: Principal, user_id: int, password: str) -> User:
    """Sets a new password for a user and ends every session of theirs."""
    user = get_user(session=session, who=who, user_id=user_id)
    check_password(password, username=user.username)
    _set_password(session, who, user, password)
    return user


def _set_password(session: Session, who: Principal, user: User, password: str) -> None:
    before = audit.snapshot(user)
    user.password_hash = _hash(password)
    user.password_changed_at = utcnow()
    session.add(user)
    end_sessions(session=session, user_id=user.id)
    audit.record(session=session, who=who, action=AuditAction.update, obj=user, before=before)


def set_active(*, session: Session, who: Principal, user_id: int, active: bool) -> User:
    """Enables or disables a user; disabling ends their sessions at once."""
    user = get_user(session=session, who=who, user_id=user_id)
    if user.id == who.user_id and not active:
        raise Invalid({"is_active": _("You cannot disable your own account.")})
    before = audit.snapshot(user)
    user.is_active = active
    session.add(user)
    if not active:
        end_sessions(session=session, user_id=user.id)
    audit.record(session=session, who=who, action=AuditAction.update, obj=user, before=before)
    return user


def change_own_password(
    *, session: Session, who: Principal, current: str, new: str, confirm: str
) -> User:
    """Changes the principal's own password; every session of theirs ends, this one too."""
    user = session.get(User, who.user_id)
    if user is None or not passwords.verify(current, user.password_hash):
        raise Invalid({"current_password": _("The current password is wrong.")})
    check_password(new, username=user.username, field="new_password")
    if new != confirm:
        raise Invalid({"confirm_password": _("The two new passwords differ.")})
    _set_password(session, who, user, new)
    return user


# ---- logins and sessions -----------------------------------------------------------


class LoginFailed(Exception):
    """Wrong username or password (which one is not said)."""


class Throttled(Exception):
    def __init__(self, wait: timedelta):
        super().__init__(str(wait))
        self.wait = wait


@dataclass(frozen=True)
class Login:
    user: User
    token: str
    session: UserSession


def _throttle(session: Session, settings: Settings, username: str, address: str) -> None:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    for column, value, limit in (
        (LoginFailure.username, username, settings.login_max_failures_account),
        (LoginFailure.client_address, address, settings.login_max_failures_address),
    ):
        times = session.exec(
            select(LoginFailure.at)
            .where(column == value, LoginFailure.at > since)
            .order_by(col(LoginFailure.at).desc())
            .limit(limit)
        ).all()
        if len(times) >= limit:
            # Locked until the oldest of the last `limit` failures leaves the window.
            raise Throttled(times[-1] + timedelta(minutes=settings.login_window_minutes) - utcnow())


@dataclass(frozen=True)
class Credentials:
    """What a login attempt proved, found without writing anything."""

    username: str
    address: str
    user: User | None
    valid: bool
    new_hash: str | None


def check_credentials(
    *, session: Session, settings: Settings, username: str, password: str, address: str
) -> Credentials:
    """Checks a username and password, throttled per account and address; reads only.

    The password hash (Argon2, the slow part of a login) is verified here, before the
    request takes the write lock, so a burst of logins does not queue every writer.
    """
    username = username.strip().lower()[:40]
    _throttle(session, settings, username, address)
    user = session.exec(select(User).where(User.username == username)).first()
    valid, new_hash = (
        passwords.verify_and_update(password, user.password_hash) if user else (False, None)
    )
    return Credentials(username, address, user, bool(valid and user.is_active), new_hash)


def login(*, session: Session, settings: Settings, checked: Credentials) -> Login:
    """Records a checked attempt: a failure (raises LoginFailed), or a new session."""
    username, address = checked.username, checked.address
    user = session.get(User, checked.user.id) if checked.user else None
    if not checked.valid or user is None:
        session.add(LoginFailure(username=username, client_address=address))
        who = Principal(user.id if user else None, username, "", "", address=address)
        audit.record(
            session=session,
            who=who,
            action=AuditAction.login_failed,
            object_type="User",
            object_id=user.id if user else None,
            label=username,
        )
        raise LoginFailed
    if checked.new_hash:
        user.password_hash = checked.new_hash
    session.execute(delete(LoginFailure).where(col(LoginFailure.username) == username))
    token = new_token()
    now = utcnow()
    us = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        client_address=address,
    )
    session.add(us)
    who = principal(session=session, user=user, address=address)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.login,
        object_type="User",
        object_id=user.id,
        label=user.username,
    )
    return Login(user, token, us)


def resolve(
    *, session: Session, settings: Settings, token: str | None
) -> tuple[User, UserSession] | None:
    """The user and session behind a cookie token, if the session is alive (a read only)."""
    if not token:
        return None
    now = utcnow()
    row = session.exec(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(
            UserSession.token_hash == token_hash(token),
            col(UserSession.ended_at).is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes),
            col(User.is_active),
        )
    ).first()
    if row is None:
        return None
    us, user = row
    return user, us


def touch_due(us: UserSession, now: datetime | None = None) -> bool:
    """Whether a session's last-seen time is worth writing: at most once a minute, since
    idle expiry needs no finer grain than that."""
    return (now or utcnow()) - us.last_seen_at > timedelta(minutes=1)


def touch(*, session: Session, session_id: int, now: datetime | None = None) -> None:
    """Records that a session was just used (it stays alive for the idle time from now)."""
    session.execute(
        update(UserSession)
        .where(col(UserSession.id) == session_id)
        .values(last_seen_at=now or utcnow())
    )


def end_session(*, session: Session, token: str | None) -> None:
    """Ends the session behind a cookie token (logout)."""
    if token:
        session.execute(
            update(UserSession)
            .where(
                col(UserSession.token_hash) == token_hash(token),
                col(UserSession.ended_at).is_(None),
            )
            .values(ended_at=utcnow())
        )


def end_sessions(*, session: Session, user_id: int) -> None:
    """Ends every live session of a user."""
    session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=utcnow())
    )


def users_with_password(*, session: Session, password: str) -> list[str]:
    """Usernames of active accounts whose password is this one (the demo password check)."""
    return [
        u.username
        for u in session.exec(select(User).where(col(User.is_active)))
        if passwords.verify(password, u.password_hash)
    ]


def count(*, session: Session) -> int:
    return session.exec(select(func.count(col(User.id)))).one()


# ---- demo --------------------------------------------------------------------------


def create_demo_accounts(*, session: Session) -> list[User]:
    """The five demo accounts of the README, all with the demo password."""
    city = session.exec(select(Area).where(Area.level == AreaLevel.city)).one()
    liangxi = session.exec(select(Area).where(Area.name == "梁溪区")).one()
    huaxia = session.exec(select(Park).where(Park.name == "无锡华夏家居港")).one()
    first_grid = session.exec(
        select(Grid).where(Grid.park_id == huaxia.id).order_by(col(Grid.sort_order), col(Grid.id))
    ).first()
    specs = [
        ("city_admin", "市产改办管理员", Role.city_admin, UserScope(area_id=city.id), None),
        (
            "district_liangxi",
            "梁溪区产改办",
            Role.district_office,
            UserScope(area_id=liangxi.id),
            None,
        ),
        ("park_huaxia", "华夏家居港产改机构", Role.park_admin, UserScope(park_id=huaxia.id), None),
        (
            "liaison_huaxia_1",
            f"{first_grid.name}联络员",
            Role.grid_liaison,
            UserScope(grid_id=first_grid.id),
            first_grid.liaison_id,
        ),
        ("leader", "市领导", Role.leader, UserScope(area_id=city.id), None),
    ]
    users = []
    for username, name, role, place, liaison_id in specs:
        if liaison_id:
            liaison = session.get(Liaison, liaison_id)
            name = liaison.name if liaison else name
        user = User(
            username=username,
            display_name=name,
            role=role,
            liaison_id=liaison_id,
            password_hash=_hash(DEMO_PASSWORD),
        )
        session.add(user)
        session.flush()
        _set_scope(session, user, [place])
        users.append(user)
    return users
