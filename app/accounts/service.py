"""Accounts: users and their scope, passwords, logins with throttling, database sessions."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlmodel import Session, col, delete, func, or_, select, update
from zxcvbn import zxcvbn

from app.accounts.models import (
    USER_LABELS,
    LoginFailure,
    PasswordHistory,
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
from app.core.inputs import is_id
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
# zxcvbn's scores run 0 (guessed at once) to 4; below 3 is guessable within a day offline.
MIN_PASSWORD_SCORE = 3
# A new password may be none of the user's newest this many (the current one included).
PASSWORD_HISTORY = 5
# Failed logins on one account, from every address together, past which an address that
# has itself failed on the account is refused (the per-pair limit is not reached by a
# guesser with many addresses). An address with no failure on it is never refused: the
# owner logging in from elsewhere gets in while strangers guess.
ACCOUNT_CEILING = 50


def _no_check() -> None:
    pass


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
    *, session: Session, user: User, address: str = "", session_key: str = "", route: str = ""
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
        route=route,
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
        if k != kind or not raw.isascii() or not raw.isdigit():
            raise Invalid({"scope": _("This role's scope is not that kind of place.")})
        # A number too long to be any place's id is no place the administrator has.
        obj = (
            None
            if not is_id(raw)
            else session.exec(
                permissions.restrict(
                    select(MODELS[k]).where(MODELS[k].id == int(raw)), who, "admin", MODELS[k]
                )
            ).first()
        )
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


def check_password(
    password: str, *, username: str = "", display_name: str = "", field: str = "password"
) -> None:
    """Refuses short, common and guessable passwords (zxcvbn's score below 3), and those that
    contain the username or the person's name; no composition rules (NIST SP 800-63B)."""
    label = labels()[field]
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            {
                field: _("{field} needs at least {n} characters.").format(
                    field=label, n=MIN_PASSWORD_LENGTH
                )
            }
        )
    lowered = password.lower()
    if username.strip() and username.strip().lower() in lowered:
        raise Invalid({field: _("{field} may not contain the username.").format(field=label)})
    if display_name.strip() and display_name.strip().lower() in lowered:
        raise Invalid({field: _("{field} may not contain the person's name.").format(field=label)})
    if lowered in common_passwords():
        raise Invalid(
            {
                field: _("{field} is too common or too easy to guess; choose another.").format(
                    field=label
                )
            }
        )
    # Only the first 100 characters: zxcvbn's matching grows fast with the length, and a
    # passphrase that long is strong in any case.
    strength = zxcvbn(password[:100], user_inputs=[username, display_name])
    if strength["score"] < MIN_PASSWORD_SCORE:
        raise Invalid(
            {
                field: _(
                    "{field} is too easy to guess; a longer phrase of several words is"
                    " harder to guess and easier to remember."
                ).format(field=label)
            }
        )


def _recent_hashes(session: Session, user: User) -> list[str]:
    """The hashes of the user's newest PASSWORD_HISTORY passwords, the current one first."""
    kept = session.exec(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user.id)
        .order_by(col(PasswordHistory.set_at).desc(), col(PasswordHistory.id).desc())
        .limit(PASSWORD_HISTORY)
    ).all()
    # An account whose password was set before the history was kept (or by the demo
    # loader) has its current password outside it.
    hashes = list(dict.fromkeys([user.password_hash, *kept]))
    return hashes[:PASSWORD_HISTORY]


def new_password_hash(
    *, session: Session, user: User, password: str, field: str = "password"
) -> str:
    """Checks a user's new password against the policy and their last five passwords, and
    hashes it; reads only (the Argon2 work is done before any write lock is taken)."""
    check_password(password, username=user.username, display_name=user.display_name, field=field)
    if any(passwords.verify(password, h) for h in _recent_hashes(session, user)):
        raise Invalid(
            {
                field: _("{field} must differ from your last {n} passwords.").format(
                    field=labels()[field], n=PASSWORD_HISTORY
                )
            }
        )
    return _hash(password)


def _remember(session: Session, user: User, password_hash: str) -> None:
    """Keeps a newly set password's hash, and only the newest PASSWORD_HISTORY of them."""
    session.add(PasswordHistory(user_id=user.id, password_hash=password_hash))
    session.flush()
    keep = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(col(PasswordHistory.set_at).desc(), col(PasswordHistory.id).desc())
        .limit(PASSWORD_HISTORY)
    )
    session.execute(
        delete(PasswordHistory).where(
            col(PasswordHistory.user_id) == user.id,
            col(PasswordHistory.id).not_in(select(keep.subquery().c.id)),
        )
    )


def _hash(password: str) -> str:
    return passwords.hash(password)


# ---- users -------------------------------------------------------------------------


# A username and a display name are at most 40 characters: a longer search matches no one.
USER_SEARCH_MAX = 40


def list_users(*, session: Session, who: Principal, search: str = "") -> list[User]:
    """The users the principal administers, by username; a search keeps those whose
    username or display name contains it (any case). Invalid when it is too long."""
    q = search.strip()
    if len(q) > USER_SEARCH_MAX:
        raise Invalid(
            {
                "q": _("{field} is at most {n} characters.").format(
                    field=_("Username or name"), n=USER_SEARCH_MAX
                )
            }
        )
    stmt = select(User).order_by(col(User.username))
    if q:
        stmt = stmt.where(
            or_(
                col(User.username).icontains(q, autoescape=True),
                col(User.display_name).icontains(q, autoescape=True),
            )
        )
    return list(session.exec(permissions.restrict(stmt, who, "admin", User)))


def get_user(*, session: Session, who: Principal, user_id: int) -> User:
    """Gets a user the principal administers; NotFound otherwise."""
    return permissions.get(session, who, "admin", User, user_id)


def create_user(
    *,
    session: Session,
    who: Principal,
    data: dict[str, Any],
    before_write: Callable[[], None] = _no_check,
) -> User:
    """Creates a user with a role and scope within the administrator's own scope.

    Every check (and the password's hashing) reads only; `before_write` is called once they
    pass, before the first write (a reads-first route takes its write lock there)."""
    form = parse(UserCreate, data, labels())
    if session.exec(select(User.id).where(User.username == form.username)).first():
        raise Invalid({"username": _("This username is taken.")})
    check_password(form.password, username=form.username, display_name=form.display_name)
    places = _places(session, who, form.role, form.scope)
    password_hash = _hash(form.password)
    before_write()
    user = User(
        username=form.username,
        display_name=form.display_name,
        role=form.role,
        liaison_id=form.liaison_id if form.role is Role.grid_liaison else None,
        password_hash=password_hash,
    )
    session.add(user)
    session.flush()
    _remember(session, user, password_hash)
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


def reset_password(
    *,
    session: Session,
    who: Principal,
    user_id: int,
    password: str,
    before_write: Callable[[], None] = _no_check,
) -> User:
    """Sets a new password for a user and ends every session of theirs."""
    user = get_user(session=session, who=who, user_id=user_id)
    password_hash = new_password_hash(session=session, user=user, password=password)
    before_write()
    _set_password(session, who, user, password_hash)
    return user


def _set_password(session: Session, who: Principal, user: User, password_hash: str) -> None:
    before = audit.snapshot(user)
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    session.add(user)
    _remember(session, user, password_hash)
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
    *,
    session: Session,
    who: Principal,
    current: str,
    new: str,
    confirm: str,
    before_write: Callable[[], None] = _no_check,
) -> User:
    """Changes the principal's own password; every session of theirs ends, this one too."""
    user = session.get(User, who.user_id)
    if user is None or not passwords.verify(current, user.password_hash):
        raise Invalid({"current_password": _("The current password is wrong.")})
    if new != confirm:
        raise Invalid({"confirm_password": _("The two new passwords differ.")})
    password_hash = new_password_hash(
        session=session, user=user, password=new, field="new_password"
    )
    before_write()
    _set_password(session, who, user, password_hash)
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


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.login_window_minutes)


def _failure_times(session: Session, since: datetime, limit: int, *where) -> list[datetime]:
    return list(
        session.exec(
            select(LoginFailure.at)
            .where(*where, LoginFailure.at > since)
            .order_by(col(LoginFailure.at).desc())
            .limit(limit)
        )
    )


def _throttle(session: Session, settings: Settings, username: str, address: str) -> None:
    """Refuses a login attempt from an address that has guessed too often: on this account
    (the pair's limit) or on any (the address's limit), or on an account that many
    addresses are guessing at (ACCOUNT_CEILING, only for addresses that failed on it).

    Failures from one address never refuse another: a stranger's guesses cannot lock the
    owner out of an account they open from elsewhere.
    """
    window = _window(settings)
    now = utcnow()
    since = now - window
    pair = (LoginFailure.username == username, LoginFailure.client_address == address)
    for limit, where in (
        (settings.login_max_failures_account, pair),
        (settings.login_max_failures_address, (LoginFailure.client_address == address,)),
    ):
        times = _failure_times(session, since, limit, *where)
        if len(times) >= limit:
            # Paused until the oldest of the last `limit` failures leaves the window.
            raise Throttled(times[-1] + window - now)
    own = _failure_times(session, since, 1, *pair)
    if own:
        on_account = session.exec(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.username == username, LoginFailure.at > since)
        ).one()
        if on_account >= ACCOUNT_CEILING:
            # Paused until this address's own failure leaves the window.
            raise Throttled(own[0] + window - now)


@cache
def _dummy_hash() -> str:
    """A hash with the real ones' parameters, made once per process: an unknown username is
    verified against it, so it costs the same Argon2 work as a known one."""
    return _hash(new_token())


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
    request takes the write lock, so a burst of logins does not queue every writer. An
    unknown username is verified against a dummy hash: how long the answer takes does
    not tell whether the account exists.
    """
    username = username.strip().lower()[:40]
    _throttle(session, settings, username, address)
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        passwords.verify(password, _dummy_hash())
        return Credentials(username, address, None, False, None)
    valid, new_hash = passwords.verify_and_update(password, user.password_hash)
    return Credentials(username, address, user, bool(valid and user.is_active), new_hash)


def login(*, session: Session, settings: Settings, checked: Credentials) -> Login:
    """Records a checked attempt: a failure (raises LoginFailed), or a new session.

    The new session carries the number of failed logins on the account since its last
    successful one, for the owner to see."""
    username, address = checked.username, checked.address
    user = session.get(User, checked.user.id) if checked.user else None
    now = utcnow()
    if not checked.valid or user is None:
        session.add(LoginFailure(username=username, client_address=address, at=now))
        # Failures older than the window count for nothing any more.
        session.execute(delete(LoginFailure).where(col(LoginFailure.at) < now - _window(settings)))
        if user is not None:
            session.execute(
                update(User)
                .where(col(User.id) == user.id)
                .values(failed_logins=col(User.failed_logins) + 1)
            )
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
    # This address proved the password: its own failures stop counting. Other addresses'
    # failures on the account stay (the owner's login resets no stranger's count).
    session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.username) == username, col(LoginFailure.client_address) == address
        )
    )
    session.refresh(user, ["failed_logins"])
    failed_before = user.failed_logins
    user.failed_logins, user.last_login_at = 0, now
    session.add(user)
    token = new_token()
    us = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        client_address=address,
        failed_logins_before=failed_before,
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


def failed_logins_before(*, session: Session, session_key: str) -> int:
    """How many failed logins the account had between its previous login and this session's."""
    found = session.exec(
        select(UserSession.failed_logins_before).where(UserSession.token_hash == session_key)
    ).first()
    return found or 0


@dataclass(frozen=True)
class LockState:
    """An account's failed logins within the throttling window, for its administrator."""

    failures: int
    addresses: int
    paused: bool


def lock_state(*, session: Session, settings: Settings, user: User) -> LockState:
    """How many failed logins the account had in the window, from how many addresses, and
    whether any address is paused on it (its pair limit, or the account's ceiling)."""
    since = utcnow() - _window(settings)
    rows = session.exec(
        select(LoginFailure.client_address, func.count())
        .where(LoginFailure.username == user.username, LoginFailure.at > since)
        .group_by(col(LoginFailure.client_address))
    ).all()
    total = sum(n for _address, n in rows)
    paused = total >= ACCOUNT_CEILING or any(
        n >= settings.login_max_failures_account for _address, n in rows
    )
    return LockState(total, len(rows), paused)


def unlock(*, session: Session, who: Principal, settings: Settings, user_id: int) -> User:
    """Clears an account's failed logins (every address may try again at once); audited."""
    user = get_user(session=session, who=who, user_id=user_id)
    state = lock_state(session=session, settings=settings, user=user)
    session.execute(delete(LoginFailure).where(col(LoginFailure.username) == user.username))
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        label=user.username,
        before={"recent_failed_logins": state.failures, "login_paused": state.paused},
        after={"recent_failed_logins": 0, "login_paused": False},
    )
    return user


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
