"""Hostile input never answers 5xx: every route × every parameter × a corpus of bad values.

Each route starts from the request the authorisation matrix sends (an object in the role's
scope, a valid form), then one parameter at a time (path, query or form field) takes a
hostile value: numbers no column holds, NaN and infinities, NUL and other control
characters, invalid UTF-8, 100 000 characters, the first and last dates, malformed
periods; every writing route also gets a body of the wrong content type. Each role gets
its own values of each parameter (see Sampler), so the five roles together send much of
the corpus to every parameter and all of it to every kind, and the run stays bounded
and the same every time. A failure names role, route, parameter
and value.
"""

import json
from urllib.parse import quote, urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import tests.test_permissions as perm
from app.accounts.service import DEMO_PASSWORD
from app.dashboard import pdf
from app.main import ROUTERS
from tests.helpers import log_in

ids = perm.ids  # the matrix's fixture: the demo objects each role reaches

# (label, value as the request carries it): raw values go into the URL or body unquoted.
RAW = "raw"
CORPUS: list[tuple[str, object]] = [
    ("2^63", "9223372036854775808"),
    ("-2^63-1", "-9223372036854775809"),
    ("10^20", "99999999999999999999"),
    ("-1", "-1"),
    ("superscript digit", "²"),  # str.isdigit() says yes, int() refuses it
    ("0", "0"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("1e309", "1e309"),
    ("NUL", "\x00"),
    ("NUL inside", "园区\x00名称"),
    ("control", "a\x1bb\x7f"),
    ("invalid UTF-8", (RAW, "%FF%FE%C3%28")),
    ("100k", "字" * 100_000),
    ("0001-01-01", "0001-01-01"),
    ("9999-12-31", "9999-12-31"),
    ("huge period", "99999999999999999999Q1"),
    ("quarter 9", "2026Q9"),
    ("empty", ""),
    ("negative huge", "-99999999999999999999"),
]
# Query parameters some routes read by hand (request.query_params) besides those declared.
EXTRA_QUERY = {
    "/demands": ("page", "year", "state", "park_id", "grid_id", "overdue"),
    "/grids/{grid_id}/demands": ("recorded",),
    "/notices/{notice_id}": ("reminded", "sent"),
    "/parks/{park_id}/reports/{period}": ("saved",),
    "/frameworks/{framework_id}": ("saved", "version"),
    "/grids/{grid_id}/monthly/{month}": ("done",),
    "/login": ("next",),
}
WRONG_BODIES = (
    ("json body", {"json": {"a": [1, {"b": None}]}}),
    ("text body", {"content": "\x00\xff", "headers": {"Content-Type": "text/plain"}}),
    (
        "broken multipart",
        {
            "content": b"--x\r\nContent-Disposition: form-data\r\n\r\n\xff",
            "headers": {"Content-Type": "multipart/form-data; boundary=x"},
        },
    ),
    (
        "invalid JSON",
        {"content": '{"version": NaN, ', "headers": {"Content-Type": "application/json"}},
    ),
)
ROLES = perm.ROLES
URL_MAX = 60_000
SKIP = {("POST", "/logout")}  # ends the session; the matrix walks it


def _routes() -> list[tuple[str, str, APIRoute]]:
    out = []
    for router in ROUTERS:
        for r in router.routes:
            if isinstance(r, APIRoute):
                for method in sorted(r.methods - {"HEAD"}):
                    if (method, r.path_format) not in SKIP:
                        out.append((method, r.path_format, r))
    return out


def _params(route: APIRoute, kind: str) -> list[str]:
    names, stack = [], [route.dependant]
    while stack:
        d = stack.pop()
        names += [p.alias for p in getattr(d, f"{kind}_params")]
        stack.extend(d.dependencies)
    return list(dict.fromkeys(names))


def _encoded(value: object, *, url: bool = True) -> str:
    if isinstance(value, tuple):
        return value[1]
    text = str(value)
    if url and len(text) > URL_MAX:
        # A URL holds at most 64 KiB (the client refuses more): the longest one it sends.
        text = "x" * URL_MAX
    return quote(text, safe="")


class Sampler:
    """Deals corpus values to each parameter: the five roles get different values of each
    parameter, and successive parameters move on through the corpus, so every value
    reaches every kind of parameter while the walk stays bounded."""

    def __init__(self, role: str):
        self.role, self.slot = ROLES.index(role), 0

    def __call__(self, pool=CORPUS, per_slot: int = 1) -> list:
        picked = [
            pool[((self.slot + k) * len(ROLES) + self.role) % len(pool)] for k in range(per_slot)
        ]
        self.slot += per_slot
        return picked


def _path_values(path: str, role: str, objs, fixed) -> dict[str, str]:
    values = {}
    for name in _path_names(path):
        if name in objs:
            inside = objs[name][role][0]
            if inside is None:  # the role reaches none: any existing object will do
                inside = next(v[0] for v in objs[name].values() if v[0] is not None)
            values[name] = str(inside)
        else:
            values[name] = str(fixed.get(name, "1"))
    return values


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _body(method: str, path: str, role: str, ids_, session) -> dict:
    fn = perm.BODIES.get((method, path))
    if (method, path) in perm.BODIES:
        return fn(role, ids_, session) if fn else {}
    return perm._body(method, path, role, ids_, session)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_never_answers_5xx(role, app, ids, session, monkeypatch):
    # The PDF routes' input is checked before printing; Chromium itself is not under test.
    monkeypatch.setattr(pdf, "_print", lambda html, **kw: b"%PDF-1.4\n%%EOF\n")
    client = TestClient(app, raise_server_exceptions=False)
    log_in(client, role, DEMO_PASSWORD)
    anonymous = TestClient(app, raise_server_exceptions=False)
    objs = perm.objects(ids, session)
    fixed = {k: v for m in perm.DOMAIN_MATRICES for k, v in getattr(m, "FIXED", {}).items()}
    sample = Sampler(role)
    failures: list[str] = []
    sent = 0

    def send(method, path, values, query="", what="", body=None):
        nonlocal sent
        url = path
        for name, v in values.items():
            url = url.replace("{" + name + "}", v)
        if query:
            url += "?" + query
        who = anonymous if path == "/login" else client

        resp = who.request(method, url, follow_redirects=False, **(body or {}))
        sent += 1
        if resp.status_code >= 500:
            failures.append(f"{role} {method} {path} {what}: {resp.status_code}")

    for method, path, route in _routes():
        base = _path_values(path, role, objs, fixed)
        body = _body(method, path, role, ids, session) if method != "GET" else {}
        # Path parameters.
        for name in _path_names(path):
            for label, value in sample(per_slot=2):
                send(
                    method, path, base | {name: _encoded(value)}, what=f"{name}={label}", body=body
                )
        # Query parameters (declared, and those read by hand, on pages).
        names = _params(route, "query") + list(EXTRA_QUERY.get(path, ()))
        for name in dict.fromkeys(names):
            for label, value in sample():
                query = f"{name}={_encoded(value)}"
                send(method, path, base, query, f"?{name}={label}", body=body)
        if method == "GET":
            continue
        # Form fields: the valid form with one field replaced, and bodies of the wrong type.
        if "json" in body:
            for name in [*list(body["json"]), "extra"]:
                for label, value in sample(per_slot=3):
                    doc = body["json"] | {name: value if isinstance(value, str) else value[1]}
                    for content in (json.dumps(doc), _json_number(doc, name, label)):
                        if content is None:
                            continue
                        send(
                            method,
                            path,
                            base,
                            what=f"json {name}={label}",
                            body={
                                "content": content,
                                "headers": {"Content-Type": "application/json"},
                            },
                        )
        else:
            data = dict(body.get("data", {}))
            files = body.get("files")
            names = list(data) + [n for n in _params(route, "body") if n not in data]
            for name in dict.fromkeys(names):
                if files and name in files:
                    continue
                for label, value in sample():
                    if files:
                        if isinstance(value, tuple):
                            continue  # multipart carries text fields as they are
                        fuzzed = {"data": data | {name: value}, "files": files}
                    else:
                        form = urlencode({k: v for k, v in data.items() if k != name})
                        fuzzed = {
                            "content": (form + "&" if form else "")
                            + f"{name}={_encoded(value, url=False)}",
                            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                        }
                    send(method, path, base, what=f"form {name}={label}", body=fuzzed)
        for label, wrong in sample(WRONG_BODIES):
            send(method, path, base, what=label, body=wrong)
    client.close()
    anonymous.close()
    assert sent > 300, sent  # the walk reached the routes
    assert not failures, f"{len(failures)} of {sent} requests answered 5xx:\n" + "\n".join(
        failures[:80]
    )


def _json_number(doc: dict, name: str, label: str) -> str | None:
    """The same document with the value as a bare JSON number (NaN and Infinity as Python
    writes them, and integers beyond 64 bits)."""
    bare = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e309": "1e309"}
    if label in bare:
        token = bare[label]
    elif label in {"2^63", "-2^63-1", "10^20", "-1", "0", "negative huge"}:
        token = str(doc[name])
    else:
        return None
    marker = "__fuzz__"
    return json.dumps(doc | {name: marker}).replace(f'"{marker}"', token)
