"""HTML pages of accounts: login and logout, one's own password, user administration."""

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import col, select

from app.accounts import service as accounts
from app.accounts.deps import ANON_CSRF_COOKIE, SESSION_COOKIE, client_address
from app.accounts.home import home_of_user
from app.accounts.models import User
from app.audit import service as audit
from app.core import permissions, privacy
from app.core.auth import Who, allowed
from app.core.db import SessionDep, begin_writing, reads_first
from app.core.errors import Invalid
from app.core.i18n import _
from app.core.permissions import ROLE_LABELS
from app.core.templating import env, is_htmx, render
from app.enterprises.models import Liaison, LiaisonRole
from app.geo.models import Area, AreaLevel, Grid, Park

router = APIRouter()
env.globals["role_labels"] = ROLE_LABELS


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _login_page(request: Request, status_code: int = 200, **context) -> HTMLResponse:
    response = render(
        request,
        "accounts/login.html",
        {"next": request.query_params.get("next", ""), "errors": {}, **context},
        status_code=status_code,
    )
    if request.state.principal is None and ANON_CSRF_COOKIE not in request.cookies:
        response.set_cookie(
            ANON_CSRF_COOKIE,
            request.state.csrf_token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(request: Request):
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse, name="login_submit")
@reads_first
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
):
    settings = request.app.state.settings
    try:
        checked = accounts.check_credentials(
            session=session,
            settings=settings,
            username=username,
            password=password,
            address=client_address(request),
        )
        begin_writing(session)
        done = accounts.login(session=session, settings=settings, checked=checked)
    except accounts.Throttled as exc:
        seconds = max(1, int(exc.wait.total_seconds()))
        response = render(
            request, "accounts/throttled.html", {"minutes": -(-seconds // 60)}, status_code=429
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    except accounts.LoginFailed:
        return _login_page(
            request,
            status_code=401,
            username=username,
            next=next,
            errors={"__all__": _("Wrong username or password.")},
        )
    # A login replaces whatever session the browser had: a new id at every login.
    accounts.end_session(session=session, token=request.cookies.get(SESSION_COOKIE))
    # A page the user was sent away from wins; otherwise (the site's root too) their home.
    target = _safe_next(next)
    if target == "/":
        home = home_of_user(session=session, user=done.user)
        target = request.url_for(home.route, **home.params).path
    if done.session.failed_logins_before:
        # The owner first sees how many failed logins there were since their last one.
        target = f"{request.url_for('login_notice')}?{urlencode({'next': target})}"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(ANON_CSRF_COOKIE)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, who: Who):
    accounts.end_session(session=session, token=request.cookies.get(SESSION_COOKIE))
    audit.record(
        session=session,
        who=who,
        action=audit.AuditAction.logout,
        object_type="User",
        object_id=who.user_id,
        label=who.username,
    )
    response = RedirectResponse(request.url_for("login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/signed-in", response_class=HTMLResponse, name="login_notice")
def login_notice(request: Request, session: SessionDep, who: Who):
    """The first page after a login that followed failed ones: how many, and what to do."""
    failed = accounts.failed_logins_before(session=session, session_key=who.session_key)
    context = {"failed": failed, "next": _safe_next(request.query_params.get("next"))}
    return render(request, "accounts/login_notice.html", context)


@router.get("/account/password", response_class=HTMLResponse, name="password_form")
def password_form(request: Request, who: Who):
    return render(request, "accounts/password.html", {"errors": {}})


@router.post("/account/password", response_class=HTMLResponse, name="password_change")
@reads_first
def password_change(
    request: Request,
    session: SessionDep,
    who: Who,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
):
    try:
        accounts.change_own_password(
            session=session,
            who=who,
            current=current_password,
            new=new_password,
            confirm=confirm_password,
            before_write=lambda: begin_writing(session),
        )
    except Invalid as exc:
        return render(request, "accounts/password.html", {"errors": exc.errors}, status_code=422)
    response = RedirectResponse(str(request.url_for("login")) + "?changed=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- user administration -----------------------------------------------------------

# Every page under /admin exists only for roles that administer users.
admin = APIRouter(prefix="/admin", dependencies=[allowed("admin")])


def _place_choices(session, who) -> dict[str, list[tuple[str, str]]]:
    """The places the administrator may grant, grouped by kind, as (token, label)."""
    areas = session.exec(
        permissions.restrict(
            select(Area)
            .where(col(Area.level).in_([AreaLevel.city, AreaLevel.district]))
            .order_by(col(Area.level), col(Area.sort_order), col(Area.id)),
            who,
            "admin",
            Area,
        )
    ).all()
    parks = session.exec(
        permissions.restrict(select(Park).order_by(col(Park.id)), who, "admin", Park)
    ).all()
    park_names = {p.id: p.name for p in parks}
    grids = session.exec(
        permissions.restrict(
            select(Grid).order_by(col(Grid.park_id), col(Grid.sort_order)), who, "admin", Grid
        )
    ).all()
    return {
        "area": [(f"area:{a.id}", a.name) for a in areas],
        "park": [(f"park:{p.id}", p.name) for p in parks],
        "grid": [(f"grid:{g.id}", f"{park_names.get(g.park_id, '')} · {g.name}") for g in grids],
    }


def _liaison_choices(session, who) -> list[Liaison]:
    stmt = select(Liaison).where(Liaison.role == LiaisonRole.grid_liaison).order_by(col(Liaison.id))
    return list(session.exec(permissions.restrict(stmt, who, "admin", Liaison)))


def _form_context(session, who, **extra) -> dict:
    liaisons = _liaison_choices(session, who)
    return {
        "roles": ROLE_LABELS,
        "places": _place_choices(session, who),
        "liaisons": liaisons,
        # Offices pick a liaison by name; the number only tells namesakes apart, masked.
        "liaison_mobiles": {
            li.id: privacy.shown(who, li.mobile, park_id=li.park_id) for li in liaisons
        },
        "errors": {},
        "form": {},
        **extra,
    }


async def _read_user_form(request: Request) -> dict:
    form = await request.form()
    liaison = form.get("liaison_id") or None
    return {
        "username": (form.get("username") or "").strip().lower(),
        "display_name": (form.get("display_name") or "").strip(),
        "role": form.get("role") or "",
        "scope": [v for v in form.getlist("scope") if v],
        "password": form.get("password") or "",
        "liaison_id": liaison,
    }


UserForm = Annotated[dict, Depends(_read_user_form)]


@admin.get("/users", response_class=HTMLResponse, name="users")
def users(request: Request, session: SessionDep, who: Who, q: str = ""):
    # The search box asks with htmx as one types: the answer is the list alone.
    template = "accounts/_users_table.html" if is_htmx(request) else "accounts/users.html"
    context = {"q": q, "roles": ROLE_LABELS, "errors": {}, "users": [], "scopes": {}}
    try:
        rows = accounts.list_users(session=session, who=who, search=q)
    except Invalid as exc:
        # The page stays usable: the box shows what was typed and what is wrong with it.
        context["errors"] = exc.errors
        return render(request, template, context | {"names": {}}, status_code=422)
    scopes = {u.id: accounts.scopes_of(session=session, user_id=u.id) for u in rows}
    context |= {"users": rows, "scopes": scopes, "names": _place_names(session)}
    return render(request, template, context)


def _place_names(session) -> dict[str, str]:
    names = {f"area:{i}": n for i, n in session.exec(select(Area.id, Area.name))}
    names |= {f"park:{i}": n for i, n in session.exec(select(Park.id, Park.name))}
    names |= {f"grid:{i}": n for i, n in session.exec(select(Grid.id, Grid.name))}
    return names


@admin.get("/users/new", response_class=HTMLResponse, name="user_new")
def user_new(request: Request, session: SessionDep, who: Who):
    return render(request, "accounts/user_form.html", _form_context(session, who, user=None))


@admin.post("/users", response_class=HTMLResponse, name="user_create")
@reads_first
def user_create(request: Request, session: SessionDep, who: Who, form: UserForm):
    try:
        user = accounts.create_user(
            session=session, who=who, data=form, before_write=lambda: begin_writing(session)
        )
    except Invalid as exc:
        context = _form_context(session, who, user=None, errors=exc.errors, form=form)
        return render(request, "accounts/user_form.html", context, status_code=422)
    return RedirectResponse(request.url_for("user", user_id=user.id), status_code=303)


def _user_page(request, session, who, user: User, status_code=200, **extra):
    scopes = accounts.scopes_of(session=session, user_id=user.id)
    form = {
        "display_name": user.display_name,
        "role": user.role.value,
        "scope": accounts.scope_tokens(scopes),
        "liaison_id": user.liaison_id,
    }
    context = _form_context(
        session,
        who,
        user=user,
        form=extra.pop("form", form),
        history=audit.history(session=session, object_type="User", object_id=user.id),
        lock=accounts.lock_state(session=session, settings=request.app.state.settings, user=user),
        **extra,
    )
    return render(request, "accounts/user_form.html", context, status_code=status_code)


@admin.get("/users/{user_id}", response_class=HTMLResponse, name="user")
def user_page(request: Request, user_id: int, session: SessionDep, who: Who):
    user = accounts.get_user(session=session, who=who, user_id=user_id)
    return _user_page(request, session, who, user, saved=request.query_params.get("saved"))


@admin.post("/users/{user_id}", response_class=HTMLResponse, name="user_update")
def user_update(request: Request, user_id: int, session: SessionDep, who: Who, form: UserForm):
    try:
        accounts.update_user(session=session, who=who, user_id=user_id, data=form)
    except Invalid as exc:
        user = accounts.get_user(session=session, who=who, user_id=user_id)
        return _user_page(request, session, who, user, 422, errors=exc.errors, form=form)
    return RedirectResponse(str(request.url_for("user", user_id=user_id)) + "?saved=1", 303)


@admin.post("/users/{user_id}/password", response_class=HTMLResponse, name="user_password")
@reads_first
def user_password(
    request: Request,
    user_id: int,
    session: SessionDep,
    who: Who,
    password: Annotated[str, Form()] = "",
):
    try:
        accounts.reset_password(
            session=session,
            who=who,
            user_id=user_id,
            password=password,
            before_write=lambda: begin_writing(session),
        )
    except Invalid as exc:
        user = accounts.get_user(session=session, who=who, user_id=user_id)
        return _user_page(request, session, who, user, 422, errors=exc.errors)
    return RedirectResponse(str(request.url_for("user", user_id=user_id)) + "?saved=1", 303)


@admin.post("/users/{user_id}/active", response_class=HTMLResponse, name="user_active")
def user_active(
    request: Request,
    user_id: int,
    session: SessionDep,
    who: Who,
    active: Annotated[str, Form()] = "",
):
    try:
        accounts.set_active(session=session, who=who, user_id=user_id, active=active == "1")
    except Invalid as exc:
        user = accounts.get_user(session=session, who=who, user_id=user_id)
        return _user_page(request, session, who, user, 422, errors=exc.errors)
    return RedirectResponse(str(request.url_for("user", user_id=user_id)) + "?saved=1", 303)


@admin.post("/users/{user_id}/unlock", name="user_unlock")
def user_unlock(request: Request, user_id: int, session: SessionDep, who: Who):
    """Lets every address try the account's password again at once (its failures cleared)."""
    settings = request.app.state.settings
    accounts.unlock(session=session, who=who, settings=settings, user_id=user_id)
    return RedirectResponse(str(request.url_for("user", user_id=user_id)) + "?saved=1", 303)
