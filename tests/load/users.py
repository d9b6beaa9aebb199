"""The load test's Locust users: leaders, liaisons, park administrators and a district office.

Each user logs in itself, as a browser does, and sends the session's CSRF token on every
POST. Every write is put in the ledger before it is sent and completed by its answer, so
the checks afterwards know exactly what the server acknowledged.
"""

import random
import re
import secrets
from dataclasses import dataclass, field
from html import unescape

import gevent
from locust import FastHttpUser, between, task
from locust.contrib.fasthttp import FastResponse as Response

from app.gridwork.monthly.service import FIGURES
from tests.load.ledger import Ledger
from tests.load.prepare import DISTRICT, LEADER, LIAISON, PARK_ADMIN, PASSWORD, Plan

# A request without an answer in this time counts as a connection error: a person would
# have given up, and a hung server must not hang the test.
REQUEST_TIMEOUT = 10.0
# A 409 is the normal answer to a form read before someone else's save: the person reloads
# and saves again. After this many tries they leave it for later.
ATTEMPTS = 3
HTMX = {"HX-Request": "true"}
STATUSES = ("green", "amber", "red")


@dataclass
class Shared:
    """What every user of the run sees: the plan, the ledger, the approvals already made."""

    plan: Plan
    ledger: Ledger
    settled: set[int] = field(default_factory=set)  # reports no longer waiting for approval


def token() -> str:
    """A text unique to one write, put in a note so the database shows whether it landed."""
    return f"load-{secrets.token_hex(6)}"


def _version(html: str, after: str = "") -> int | None:
    """The version field of the page's first form (or the first one after `after`)."""
    start = html.find(after) if after else 0
    if start < 0:
        return None
    m = re.search(r'name="version" value="(\d+)"', html[start:])
    return int(m.group(1)) if m else None


def _form_fields(html: str, form_id: str) -> dict[str, str] | None:
    """The named inputs of a form (name → value), or None when the page has no such form."""
    m = re.search(rf'<form[^>]*id="{form_id}"[^>]*>(.*?)</form>', html, re.S)
    if not m:
        return None
    out = {}
    for tag in re.findall(r"<input\b([^>]*)>", m.group(1)):
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name:
            out[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
    return out


class Portal(FastHttpUser):
    """A person with a browser: logs in on first use and again if the session is gone."""

    abstract = True
    # geventhttpclient: far less CPU per request than requests, and the server shares the
    # machine's cores with the users driving it.
    network_timeout = REQUEST_TIMEOUT
    connection_timeout = REQUEST_TIMEOUT
    username = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.csrf: str | None = None

    @property
    def shared(self) -> Shared:
        return self.environment.parkgrid  # type: ignore[attr-defined]

    def get(self, path: str, name: str, **kw) -> Response:
        resp = self.client.get(path, name=name, allow_redirects=False, **kw)
        location = (resp.headers or {}).get("location") or ""
        if resp.status_code in (302, 303, 307) and "/login" in location:
            self.csrf = None  # the session ended: log in again before the next task
        return resp

    def post(self, path: str, name: str, data: dict, headers: dict | None = None) -> Response:
        return self.client.post(
            path,
            name=name,
            data=data,
            headers={"X-CSRF-Token": self.csrf or "", **(headers or {})},
            allow_redirects=False,
        )

    def write(
        self,
        kind: str,
        key: tuple,
        path: str,
        name: str,
        data: dict,
        *,
        version: int | None = None,
        token: str = "",
        headers: dict | None = None,
    ) -> Response:
        """A POST that changes data, recorded in the ledger with the answer it got."""
        entry = self.shared.ledger.begin(kind, key, self.username, version=version, token=token)
        resp = self.post(path, name, data, headers)
        entry.status = resp.status_code or 0
        return resp

    def logged_in(self) -> bool:
        """Logs in through the form when not logged in; False when the server did not let us."""
        if self.csrf:
            return True
        page = self.get("/login", "GET /login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if page.status_code != 200 or not m:
            return False
        entry = self.shared.ledger.begin("login", (self.username,), self.username)
        resp = self.client.post(
            "/login",
            name="POST /login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": m.group(1)},
            allow_redirects=False,
        )
        entry.status = resp.status_code or 0
        if resp.status_code != 303:
            return False
        home = self.client.get("/", name="GET / (after login)", allow_redirects=True)
        m = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text or "")
        self.csrf = m.group(1) if m else None
        return self.csrf is not None

    def pause(self) -> None:
        # A person reads the conflict message before saving again.
        gevent.sleep(random.uniform(0.1, 0.5))


class Leader(Portal):
    """Reads the dashboards: the most read pages of the product."""

    weight = 3
    username = LEADER

    @task(4)
    def overview(self) -> None:
        if self.logged_in():
            self.get("/", "GET /")

    @task(3)
    def district(self) -> None:
        if self.logged_in():
            area = random.choice(self.shared.plan.district_ids)
            self.get(f"/districts/{area}", "GET /districts/{id}")

    @task(3)
    def park(self) -> None:
        if self.logged_in():
            park = random.choice(self.shared.plan.park_ids)
            self.get(f"/parks/{park}", "GET /parks/{id}")

    @task(2)
    def rankings(self) -> None:
        if self.logged_in():
            self.get(f"/rankings?period={self.shared.plan.period}", "GET /rankings")

    @task(1)
    def screen(self) -> None:
        if self.logged_in():
            self.get("/screen", "GET /screen")


class Liaison(Portal):
    """Keeps the grid's status up to date and fills the month's grid report, on a phone
    (htmx); all liaisons share the demo's one liaison account and its grid."""

    weight = 4
    username = LIAISON

    @task(3)
    def save_status(self) -> None:
        if not self.logged_in():
            return
        grid = self.shared.plan.grid_id
        for _attempt in range(ATTEMPTS):
            panel = self.get(f"/grids/{grid}/status", "GET /grids/{id}/status", headers=HTMX)
            version = _version(panel.text or "") if panel.status_code == 200 else None
            if version is None:
                return
            note = token()
            resp = self.write(
                "grid_status",
                (grid,),
                f"/grids/{grid}/status",
                "POST /grids/{id}/status",
                {"status": random.choice(STATUSES), "note": note, "version": str(version)},
                version=version,
                token=note,
                headers=HTMX,
            )
            if resp.status_code != 409:
                return
            self.pause()

    @task(2)
    def save_monthly(self) -> None:
        if not self.logged_in():
            return
        plan = self.shared.plan
        url = f"/grids/{plan.grid_id}/monthly/{plan.month}"
        for _attempt in range(ATTEMPTS):
            page = self.get(url, "GET /grids/{id}/monthly/{month}")
            version = _version(page.text or "") if page.status_code == 200 else None
            if version is None:
                return
            note = token()
            sessions = random.randint(1, 4)
            figures = {name: str(random.randint(0, 30)) for name in FIGURES}
            figures |= {
                "guidance_sessions": str(sessions),
                "training_sessions": str(sessions),
                "culture_activities": str(sessions),
            }
            resp = self.write(
                "monthly",
                (plan.grid_id, plan.month),
                url,
                "POST /grids/{id}/monthly/{month}",
                {**figures, "notes": note, "version": str(version)},
                version=version,
                token=note,
                headers=HTMX,
            )
            if resp.status_code != 409:
                return
            self.pause()


class ParkAdmin(Portal):
    """Saves the park's quarterly report: every park administrator the same one at once."""

    weight = 2
    username = PARK_ADMIN

    @task(4)
    def save_report(self) -> None:
        if not self.logged_in():
            return
        plan = self.shared.plan
        report = plan.shared
        for _attempt in range(ATTEMPTS):
            page = self.get(report.url, "GET /parks/{id}/reports/{period}")
            form = _form_fields(page.text or "", "report-form") if page.status_code == 200 else None
            if not form or not form.get("version", "").isdigit():
                return
            form.pop("csrf_token", None)
            note = token()
            form[f"note_{plan.note_indicator_id}"] = note
            resp = self.write(
                "report_save",
                (report.report_id,),
                report.url,
                "POST /parks/{id}/reports/{period}",
                form,
                version=int(form["version"]),
                token=note,
            )
            if resp.status_code != 409:
                return
            self.pause()

    @task(1)
    def worklist(self) -> None:
        if self.logged_in():
            self.get(f"/reports?period={self.shared.plan.period}", "GET /reports")


class DistrictOffice(Portal):
    """Approves its parks' submitted reports (several offices on the same one at once) and
    reads the worklist."""

    weight = 1
    username = DISTRICT

    @task(2)
    def approve(self) -> None:
        if not self.logged_in():
            return
        waiting = [r for r in self.shared.plan.approvals if r.report_id not in self.shared.settled]
        if not waiting:
            self.worklist()
            return
        report = waiting[0]  # every office goes for the same report: they race
        page = self.get(report.url, "GET /parks/{id}/reports/{period}")
        version = _version(page.text or "", after="/approve") if page.status_code == 200 else None
        if version is None:
            self.shared.settled.add(report.report_id)  # approved meanwhile: no form any more
            return
        resp = self.write(
            "approve",
            (report.report_id,),
            f"{report.url}/approve",
            "POST /parks/{id}/reports/{period}/approve",
            {"version": str(version)},
            version=version,
        )
        if resp.status_code in (303, 409):
            self.shared.settled.add(report.report_id)

    @task(1)
    def worklist(self) -> None:
        if self.logged_in():
            self.get(f"/reports?period={self.shared.plan.period}", "GET /reports")


USERS = (Leader, Liaison, ParkAdmin, DistrictOffice)
