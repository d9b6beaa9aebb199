"""Importing a park's roster from a workbook: check every row, preview, then apply it all.

The work is split so that no write transaction waits on parsing:
1. `start` stores the file with a new job (the upload request, after `workbook.inspect`);
2. `run_check` parses the file with no transaction open, checks every row against the
   park's roster in a read transaction, and stores the preview: counts, errors, changes,
   and a digest of the plan;
3. `run_apply`, after confirmation, parses again, then in one write transaction checks
   again and — only if the plan is still the one previewed — writes every row and its
   audit rows, all or nothing.
Jobs run in the background of the web request (or in the foreground of the CLI) and open
their own sessions through `Sessions`, so their progress commits while the work goes on.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.audit.models import AuditAction, AuditLog
from app.core import permissions, sheets
from app.core.errors import Conflict
from app.core.i18n import _
from app.core.permissions import Principal
from app.core.types import utcnow
from app.enterprises import pinyin
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park
from app.imports import layout, workbook
from app.imports.layout import ENTERPRISES, GRIDS, LIAISONS, CellError, Col, Sheet
from app.imports.models import (
    IMPORT_STATUS_LABELS,
    RUNNING,
    ImportFile,
    ImportJob,
    ImportLine,
    ImportStatus,
    LineKind,
)
from app.imports.workbook import Refused, Table

# A running job that has not reported progress for this long was interrupted (a restart).
STALE_AFTER = timedelta(minutes=5)
# The preview keeps every error but only this many row changes.
KEPT_CHANGES = 2_000
ERROR_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")

Sessions = Callable[[bool], Session]  # write? -> a new session


# ---- the park's roster as the workbook sees it ----------------------------------------


@dataclass
class Current:
    """The park's roster keyed as the workbook keys it: grids by name, people by mobile."""

    park: Park
    grids: dict[str, Grid]
    liaisons: dict[str, Liaison]
    enterprises: dict[str, Enterprise]
    grid_name: dict[int, str]
    mobile_of: dict[int, str]


def _current(session: Session, park: Park) -> Current:
    grids = list(session.exec(select(Grid).where(Grid.park_id == park.id)))
    people = list(
        session.exec(select(Liaison).where(Liaison.park_id == park.id).order_by(col(Liaison.id)))
    )
    grid_ids = [g.id for g in grids]
    firms = session.exec(
        select(Enterprise).where(col(Enterprise.grid_id).in_(grid_ids)).order_by(col(Enterprise.id))
    )
    liaisons: dict[str, Liaison] = {}
    for li in people:
        liaisons.setdefault(li.mobile, li)  # two people with one number: the first is meant
    return Current(
        park=park,
        grids={g.name: g for g in grids},
        liaisons=liaisons,
        enterprises={e.credit_code: e for e in firms},
        grid_name={g.id: g.name for g in grids},
        mobile_of={li.id: li.mobile for li in people},
    )


def values_of(sheet: Sheet, obj: Any, current: Current) -> dict[str, Any]:
    """A stored object's values in the workbook's terms (grid names, liaison mobiles)."""
    out = {}
    for c in sheet.columns:
        if c.key == "grid":
            out[c.key] = current.grid_name.get(obj.grid_id)
        elif c.key == "liaison_mobile":
            out[c.key] = current.mobile_of.get(obj.liaison_id) if obj.liaison_id else None
        else:
            out[c.key] = getattr(obj, c.key)
    return out


def roster(
    session: Session, who: Principal, park: Park, grid_id: int | None = None
) -> layout.Filled:
    """The park's roster (or one grid's) as rows for the roster workbook, within the
    principal's view."""
    current = _current(session, park)
    seen = permissions.ids(session, who, "view", Grid) & set(current.grid_name)
    all_grids = sorted(current.grids.values(), key=lambda g: (g.sort_order, g.id))
    grids = [g for g in all_grids if g.id in seen and grid_id in (None, g.id)]
    shown = {g.id for g in grids}
    firms = [e for e in current.enterprises.values() if e.grid_id in shown]
    order = {g.id: i for i, g in enumerate(grids)}
    firms.sort(key=lambda e: (order[e.grid_id], not e.is_node, pinyin.sort_key(e.name)))
    people = list(current.liaisons.values())
    if grid_id is not None:
        # A grid's roster carries the people it refers to, so it imports back on its own.
        wanted = {g.liaison_id for g in grids} | {e.liaison_id for e in firms}
        people = [li for li in people if li.id in wanted]
    return layout.Filled(
        grid_names=[g.name for g in all_grids],
        rows={
            "grids": [values_of(GRIDS, g, current) for g in grids],
            "liaisons": [values_of(LIAISONS, li, current) for li in people],
            "enterprises": [values_of(ENTERPRISES, e, current) for e in firms],
        },
    )


def enterprise_table(
    session: Session, who: Principal, park: Park, grid_id: int | None = None
) -> tuple[list[sheets.Column], list[list[Any]]]:
    """The enterprises of the roster as one plain table (for CSV), headers as in the workbook."""
    filled = roster(session, who, park, grid_id)
    columns = [sheets.Column(c.title) for c in ENTERPRISES.columns]
    rows = [
        [layout.label_of(c, row[c.key]) for c in ENTERPRISES.columns]
        for row in filled.rows["enterprises"]
    ]
    return columns, rows


def template(session: Session, park: Park) -> bytes:
    """The empty import template of a park, its grids in the grid drop-down."""
    grids = session.exec(
        select(Grid.name)
        .where(Grid.park_id == park.id)
        .order_by(col(Grid.sort_order), col(Grid.id))
    )
    return layout.write(park.name, layout.Filled(grid_names=list(grids)))


def export(session: Session, who: Principal, park: Park, grid_id: int | None = None) -> bytes:
    """The park's (or a grid's) roster in the import layout: it imports back unchanged."""
    return layout.write(park.name, roster(session, who, park, grid_id))


# ---- checking the rows ------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: LineKind
    sheet: str  # the sheet's title
    row: int
    column: str
    field: str
    message: str


@dataclass
class Op:
    sheet: Sheet
    row: int
    action: str  # "new", "updated" or "unchanged"
    key: str
    values: dict[str, Any]
    before: dict[str, Any] | None = None


@dataclass
class Plan:
    ops: list[Op] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.kind is LineKind.error]

    def counts(self) -> dict[str, dict[str, int]]:
        out = {s.key: {"new": 0, "updated": 0, "unchanged": 0, "error": 0} for s in layout.SHEETS}
        for op in self.ops:
            out[op.sheet.key][op.action] += 1
        bad = {(f.sheet, f.row) for f in self.errors}
        titles = {s.title: s.key for s in layout.SHEETS}
        for sheet, _row in bad:
            out[titles[sheet]]["error"] += 1
        return out

    def digest(self) -> str:
        """A fingerprint of what applying would do: confirmation applies only the same plan."""
        h = hashlib.sha256()
        for op in self.ops:
            if op.action != "unchanged":
                # The values before count too: the user approved changes from what they saw.
                before = _jsonable(op.before) if op.before else None
                record = [op.sheet.key, op.row, op.action, op.key, _jsonable(op.values), before]
                h.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
        return h.hexdigest()


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in values.items()}


class _Checker:
    """Reads the tables row by row into a plan, collecting every error with its cell."""

    def __init__(self, session: Session, who: Principal, current: Current, tables: list[Table]):
        self.session, self.who, self.current = session, who, current
        self.tables = {t.sheet.key: t for t in tables}
        self.plan = Plan()
        # What the file itself declares, even on rows with errors: a row that names a grid
        # or a person from a bad row gets no second error for the same mistake.
        self.file_grids = self._raw_keys("grids", "name", str)
        self.file_mobiles = self._raw_keys("liaisons", "mobile", _digits)

    def _raw_keys(self, sheet: str, key: str, norm: Callable[[Any], str]) -> set[str]:
        table = self.tables.get(sheet)
        return {norm(layout.shown(r.values.get(key))) for r in table.rows} if table else set()

    def error(self, table: Table, row: int, key: str | None, message: str) -> None:
        column = table.letters.get(key, "") if key else ""
        label = table.sheet.column(key).title if key else ""
        self.plan.findings.append(
            Finding(LineKind.error, table.sheet.title, row, column, label, message)
        )

    def cells(self, table: Table, row: workbook.Row) -> dict[str, Any] | None:
        """The row's values read by their columns, or None after recording its errors."""
        out, ok = {}, True
        for c in table.sheet.columns:
            if c.key not in table.letters:
                out[c.key] = layout.read_cell(c, None) if not c.required else None
                continue
            try:
                out[c.key] = layout.read_cell(c, row.values.get(c.key))
            except CellError as exc:
                self.error(table, row.number, c.key, str(exc))
                ok = False
        return out if ok else None

    def duplicate(self, table: Table, row: int, key: str, value: str, seen: dict[str, int]):
        if value in seen:
            self.error(
                table,
                row,
                key,
                _("“{field}” “{value}” is already on row {first} of this sheet.").format(
                    field=table.sheet.column(key).title, value=value, first=seen[value]
                ),
            )
            return True
        seen[value] = row
        return False

    def known_mobile(self, table: Table, row: int, key: str, mobile: str | None) -> bool:
        if not mobile or mobile in self.file_mobiles or mobile in self.current.liaisons:
            return True
        self.error(
            table,
            row,
            key,
            _(
                "No liaison with the mobile number {mobile} in this park: add the person to "
                "the sheet “{sheet}” first."
            ).format(mobile=mobile, sheet=LIAISONS.title),
        )
        return False

    def add(self, table: Table, row: int, key: str, values: dict[str, Any], existing) -> None:
        if existing is None:
            self.plan.ops.append(Op(table.sheet, row, "new", key, values))
            return
        before = values_of(table.sheet, existing, self.current)
        action = "unchanged" if before == values else "updated"
        self.plan.ops.append(Op(table.sheet, row, action, key, values, before))

    # The three sheets, people first: grids and enterprises refer to them.

    def liaisons(self) -> None:
        table = self.tables.get("liaisons")
        if table is None:
            return
        seen: dict[str, int] = {}
        for row in table.rows:
            v = self.cells(table, row)
            if v is None or self.duplicate(table, row.number, "mobile", v["mobile"], seen):
                continue
            self.add(table, row.number, v["mobile"], v, self.current.liaisons.get(v["mobile"]))

    def grids(self) -> None:
        table = self.tables.get("grids")
        if table is None:
            return
        seen: dict[str, int] = {}
        for row in table.rows:
            v = self.cells(table, row)
            if v is None or self.duplicate(table, row.number, "name", v["name"], seen):
                continue
            if not self.known_mobile(table, row.number, "liaison_mobile", v["liaison_mobile"]):
                continue
            self.add(table, row.number, v["name"], v, self.current.grids.get(v["name"]))

    def enterprises(self) -> None:
        table = self.tables.get("enterprises")
        if table is None:
            return
        seen: dict[str, int] = {}
        elsewhere = self._registered_elsewhere(table)
        for row in table.rows:
            v = self.cells(table, row)
            if v is None:
                continue
            n, code = row.number, v["credit_code"]
            if self.duplicate(table, n, "credit_code", code, seen):
                continue
            if code in elsewhere:
                self.error(table, n, "credit_code", elsewhere[code])
            elif v["grid"] not in self.current.grids and v["grid"] not in self.file_grids:
                self.error(
                    table,
                    n,
                    "grid",
                    _(
                        "The park has no grid “{grid}”: choose one of its grids, or add it to "
                        "the sheet “{sheet}”."
                    ).format(grid=v["grid"], sheet=GRIDS.title),
                )
            elif v["collective_contract"] and not v["union_founded"]:
                self.error(
                    table,
                    n,
                    "collective_contract",
                    _(
                        "A collective contract is signed through the union: set “{union}” to "
                        "是, or the collective contract to 否."
                    ).format(union=ENTERPRISES.column("union_founded").title),
                )
            elif v["reform_type"] is not None and not v["in_reform"]:
                self.error(
                    table,
                    n,
                    "reform_type",
                    _(
                        "Only an enterprise taking part in the reform has a reform type: set "
                        "“{part}” to 是, or leave the reform type blank."
                    ).format(part=ENTERPRISES.column("in_reform").title),
                )
            elif self.known_mobile(table, n, "liaison_mobile", v["liaison_mobile"]):
                self.add(table, n, code, v, self.current.enterprises.get(code))
        self._one_node_per_grid(table)

    def _registered_elsewhere(self, table: Table) -> dict[str, str]:
        """Codes of the file registered in other parks, with the message each one gets."""
        codes = set()
        for row in table.rows:
            with suppress(CellError):
                codes.add(
                    layout.read_cell(
                        ENTERPRISES.column("credit_code"), row.values.get("credit_code")
                    )
                )
        codes -= set(self.current.enterprises)
        found: dict[str, str] = {}
        listed = sorted(codes)
        for i in range(0, len(listed), 500):
            # Whether the principal may see each one comes with it: the place is named only then.
            visible = permissions.scope_clause(self.who, "view", Enterprise)
            rows = self.session.exec(
                select(Enterprise, Grid, Park, visible)
                .join(Grid, col(Grid.id) == col(Enterprise.grid_id))
                .join(Park, col(Park.id) == col(Grid.park_id))
                .where(col(Enterprise.credit_code).in_(listed[i : i + 500]))
            )
            for e, g, p, seen in rows:
                if seen:
                    found[e.credit_code] = _(
                        "This unified social credit code is already registered: {name}, in "
                        "{park} · {grid}."
                    ).format(name=e.name, park=p.name, grid=g.name)
                else:
                    found[e.credit_code] = _(
                        "This unified social credit code is already registered in another park."
                    )
        return found

    def _one_node_per_grid(self, table: Table) -> None:
        """After the import each grid keeps at most one node enterprise."""
        # Enterprises on any row of the file, bad rows too: their stored flag is being replaced.
        in_file = self._raw_keys("enterprises", "credit_code", _compact)
        node_of: dict[str, str] = {}  # grid name -> who is its node, in words
        for e in self.current.enterprises.values():
            if e.is_node and e.credit_code not in in_file:
                node_of[self.current.grid_name[e.grid_id]] = e.name
        for op in [op for op in self.plan.ops if op.sheet is ENTERPRISES]:
            if not op.values["is_node"]:
                continue
            grid = op.values["grid"]
            if grid in node_of:
                self.plan.ops.remove(op)
                self.error(
                    table,
                    op.row,
                    "is_node",
                    _(
                        "Grid “{grid}” already has a node enterprise: {other}. A grid has one "
                        "node enterprise; set this row to 否."
                    ).format(grid=grid, other=node_of[grid]),
                )
            else:
                node_of[grid] = _("{name} (row {row})").format(name=op.values["name"], row=op.row)

    def run(self) -> Plan:
        self.liaisons()
        self.grids()
        self.enterprises()
        self.plan.findings.sort(key=lambda f: (f.sheet, f.row))
        return self.plan


def _compact(text: str) -> str:
    return "".join(text.split()).replace("-", "").upper()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())[-11:]


def check(session: Session, who: Principal, park_id: int, tables: list[Table]) -> Plan:
    """What importing the tables into the park would do, and every error that prevents it."""
    park = permissions.get(session, who, "change", Park, park_id)
    return _Checker(session, who, _current(session, park), tables).run()


def changes(op: Op) -> list[tuple[Col, Any, Any]]:
    """The columns an update changes, with the values before and after."""
    assert op.before is not None
    return [
        (c, op.before[c.key], op.values[c.key])
        for c in op.sheet.columns
        if op.before[c.key] != op.values[c.key]
    ]


def _change_lines(plan: Plan) -> Iterator[Finding]:
    for op in plan.ops:
        if op.action != "updated":
            continue
        for c, before, after in changes(op):
            yield Finding(
                LineKind.change,
                op.sheet.title,
                op.row,
                "",
                c.title,
                f"{op.key}：{layout.shown(layout.label_of(c, before)) or '—'} → "
                f"{layout.shown(layout.label_of(c, after)) or '—'}",
            )


# ---- applying a plan --------------------------------------------------------------------


ENTERPRISE_COLUMNS = (
    "credit_code",
    "name",
    "ownership",
    "size",
    "industry",
    "worker_count",
    "union_founded",
    "collective_contract",
    "in_reform",
    "reform_type",
    "is_node",
)


def apply(session: Session, who: Principal, job: ImportJob, plan: Plan) -> AuditLog:
    """Writes the plan in the caller's transaction with one audit row per object changed,
    all sharing the import's own audit row as their batch. Returns that row.

    New enterprises and the audit rows go in as bulk statements: on SQLite the write lock is
    held while this runs, and other users' saves wait for it.

    Every object written belongs to the job's park, which `check` found the principal may
    change, so no object can leave the principal's scope here.
    """
    park = session.get(Park, job.park_id)
    current = _current(session, park)
    head = audit.record(
        session=session,
        who=who,
        action=AuditAction.imported,
        object_type="ImportJob",
        object_id=job.id,
        label=f"{park.name} · {job.filename}",
        after={"counts": plan.counts(), "file": job.filename, "sha256": job.sha256},
    )
    head.batch_id = head.id
    todo: dict[str, list[Op]] = {s.key: [] for s in layout.SHEETS}
    for op in plan.ops:
        if op.action != "unchanged":
            todo[op.sheet.key].append(op)
    updated: list[tuple[Any, dict[str, Any]]] = []  # (object, its snapshot before)
    created: list[Any] = []

    def write(obj, fields: dict[str, Any], before: dict[str, Any] | None = None) -> None:
        if obj.id is not None:
            updated.append((obj, before or audit.snapshot(obj)))
        else:
            created.append(obj)
        for k, v in fields.items():
            setattr(obj, k, v)
        session.add(obj)

    for op in todo["liaisons"]:
        obj = current.liaisons.get(op.key) or Liaison(park_id=park.id)
        write(obj, {k: op.values[k] for k in ("name", "mobile", "role")})
        current.liaisons[op.key] = obj
    session.flush()
    mobile_id = {m: li.id for m, li in current.liaisons.items()}

    def liaison_id(mobile: str | None) -> int | None:
        return mobile_id[mobile] if mobile else None

    for op in todo["grids"]:
        obj = current.grids.get(op.key) or Grid(park_id=park.id)
        v = op.values
        fields = {k: v[k] for k in ("name", "basis", "sort_order")}
        write(obj, fields | {"liaison_id": liaison_id(v["liaison_mobile"])})
        current.grids[op.key] = obj
    session.flush()
    grid_id = {name: g.id for name, g in current.grids.items()}

    def fields_of(v: dict[str, Any]) -> dict[str, Any]:
        out = {k: v[k] for k in ENTERPRISE_COLUMNS}
        return out | {"grid_id": grid_id[v["grid"]], "liaison_id": liaison_id(v["liaison_mobile"])}

    changing = [op for op in todo["enterprises"] if op.action == "updated"]
    befores = {op.key: audit.snapshot(current.enterprises[op.key]) for op in changing}
    # One node per grid holds in the database at every moment (a partial unique index):
    # nodes that stop being one, or move, let go first.
    for op in changing:
        e = current.enterprises[op.key]
        if e.is_node and (not op.values["is_node"] or op.values["grid"] != op.before["grid"]):
            e.is_node = False
            session.add(e)
    session.flush()
    for op in changing:
        write(current.enterprises[op.key], fields_of(op.values), befores[op.key])
    new_rows = [fields_of(op.values) for op in todo["enterprises"] if op.action == "new"]
    try:
        session.flush()
        new_ids = (
            list(
                session.execute(
                    sa.insert(Enterprise.__table__).returning(  # type: ignore[attr-defined]
                        Enterprise.__table__.c.id,  # type: ignore[attr-defined]
                        sort_by_parameter_order=True,
                    ),
                    new_rows,
                ).scalars()
            )
            if new_rows
            else []
        )
    except IntegrityError:
        raise Conflict(
            _("Someone changed the park's roster while it was being imported. Check it again.")
        ) from None

    entries = [
        audit.Entry(AuditAction.create, type(o).__name__, o.id, o.name, None, audit.snapshot(o))
        for o in created
    ]
    entries += [
        audit.Entry(AuditAction.update, type(o).__name__, o.id, o.name, before, audit.snapshot(o))
        for o, before in updated
    ]
    entries += [
        audit.Entry(
            AuditAction.create,
            "Enterprise",
            new_id,
            row["name"],
            None,
            audit.plain(Enterprise, row | {"id": new_id}),
        )
        for new_id, row in zip(new_ids, new_rows, strict=True)
    ]
    audit.record_many(session=session, who=who, entries=entries, batch_id=head.id)
    return head


# ---- jobs -------------------------------------------------------------------------------


def start(
    session: Session, who: Principal, *, park_id: int, filename: str, content: bytes
) -> ImportJob:
    """Keeps an inspected file with a new job, which `run_check` then works through."""
    park = permissions.get(session, who, "change", Park, park_id)
    job = ImportJob(
        park_id=park.id,
        user_id=who.user_id,
        username=who.username,
        filename=filename[:200] or "roster.xlsx",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.checking,
    )
    session.add(job)
    session.flush()
    session.add(ImportFile(job_id=job.id, content=content))
    session.flush()
    return job


@contextmanager
def _writing(sessions: Sessions) -> Iterator[Session]:
    with sessions(True) as s:
        yield s
        s.commit()


def _progress(sessions: Sessions, job_id: int) -> workbook.Progress:
    def report(done: int, total: int) -> None:
        with _writing(sessions) as s:
            job = s.get(ImportJob, job_id)
            job.rows_done, job.rows_total, job.updated_at = done, total, utcnow()
            s.add(job)

    return report


def _store_preview(s: Session, job: ImportJob, plan: Plan, message: str = "") -> None:
    for line in s.exec(select(ImportLine).where(ImportLine.job_id == job.id)):
        s.delete(line)
    kept = list(plan.errors) + list(_change_lines(plan))[:KEPT_CHANGES]
    s.add_all(
        ImportLine(
            job_id=job.id,
            kind=f.kind,
            sheet=f.sheet,
            row=f.row,
            column=f.column,
            field=f.field,
            message=f.message[:500],
        )
        for f in kept
    )
    job.counts = plan.counts()
    job.errors = len(plan.errors)
    job.digest = plan.digest()
    job.status = ImportStatus.invalid if plan.errors else ImportStatus.checked
    job.message = message
    job.rows_done = job.rows_total
    job.updated_at = job.finished_at = utcnow()
    s.add(job)


def _fail(sessions: Sessions, job_id: int, message: str) -> None:
    with _writing(sessions) as s:
        job = s.get(ImportJob, job_id)
        job.status, job.message = ImportStatus.failed, message[:500]
        job.updated_at = job.finished_at = utcnow()
        s.add(job)


def _content(sessions: Sessions, job_id: int) -> bytes:
    with sessions(False) as s:
        return s.get(ImportFile, job_id).content


def run_check(sessions: Sessions, who: Principal, job_id: int, progress=None) -> None:
    """Parses the job's file and stores its preview; a refusal or crash fails the job."""
    try:
        tables = workbook.read(
            _content(sessions, job_id), layout.SHEETS, progress or _progress(sessions, job_id)
        )
        with sessions(False) as s:
            job = s.get(ImportJob, job_id)
            plan = check(s, who, job.park_id, tables)
        with _writing(sessions) as s:
            _store_preview(s, s.get(ImportJob, job_id), plan)
    except Refused as exc:
        _fail(sessions, job_id, exc.message)
    except Exception:
        _fail(sessions, job_id, _("The file could not be checked. Nothing was imported."))
        raise


def confirm(session: Session, who: Principal, job_id: int) -> ImportJob:
    """Marks a checked job for applying; anything else cannot be confirmed (409)."""
    job = permissions.get(session, who, "change", ImportJob, job_id)
    if job.status is not ImportStatus.checked:
        raise Conflict(
            _("This import cannot be confirmed: it is {status}.").format(status=status_label(job))
        )
    job.status, job.rows_done, job.message = ImportStatus.applying, 0, ""
    job.updated_at = utcnow()
    session.add(job)
    return job


def run_apply(sessions: Sessions, who: Principal, job_id: int, progress=None) -> None:
    """Applies a confirmed job in one write transaction, if its plan is still the previewed one."""
    try:
        tables = workbook.read(
            _content(sessions, job_id), layout.SHEETS, progress or _progress(sessions, job_id)
        )
        with _writing(sessions) as s:
            job = s.get(ImportJob, job_id)
            plan = check(s, who, job.park_id, tables)
            if plan.errors or plan.digest() != job.digest:
                _store_preview(
                    s,
                    job,
                    plan,
                    _(
                        "The park's roster changed after the preview, so nothing was imported. "
                        "Check the new preview and confirm again."
                    ),
                )
                return
            head = apply(s, who, job, plan)
            job.status, job.audit_id = ImportStatus.applied, head.id
            job.updated_at = job.finished_at = utcnow()
            s.add(job)
    except Conflict as exc:
        _fail(sessions, job_id, exc.message)
    except Exception:
        _fail(sessions, job_id, _("The import failed. Nothing was imported."))
        raise


# ---- reading jobs -----------------------------------------------------------------------


def status_label(job: ImportJob) -> str:
    if interrupted(job):
        return _("Interrupted: nothing imported")
    return _(IMPORT_STATUS_LABELS[job.status])


def interrupted(job: ImportJob) -> bool:
    return job.status in RUNNING and utcnow() - job.updated_at > STALE_AFTER


def get(session: Session, who: Principal, job_id: int) -> ImportJob:
    return permissions.get(session, who, "change", ImportJob, job_id)


def recent(session: Session, who: Principal, limit: int = 20) -> list[ImportJob]:
    stmt = select(ImportJob).order_by(col(ImportJob.created_at).desc(), col(ImportJob.id).desc())
    return list(session.exec(permissions.restrict(stmt, who, "change", ImportJob).limit(limit)))


def lines(
    session: Session, job_id: int, kind: LineKind, limit: int = 500
) -> tuple[list[ImportLine], int]:
    """The job's findings of a kind in sheet and row order (up to `limit`), and their number."""
    where = (ImportLine.job_id == job_id, ImportLine.kind == kind)
    total = session.exec(select(func.count()).select_from(ImportLine).where(*where)).one()
    rows = session.exec(select(ImportLine).where(*where).order_by(col(ImportLine.id)).limit(limit))
    return list(rows), total


def parks(session: Session, who: Principal) -> list[Park]:
    """The parks the principal may import into."""
    stmt = select(Park).order_by(col(Park.area_id), col(Park.id))
    return list(session.exec(permissions.restrict(stmt, who, "change", Park)))


def error_workbook(session: Session, job: ImportJob) -> bytes:
    """The uploaded workbook with every bad cell filled red and a comment saying what is wrong."""
    content = session.get(ImportFile, job.id).content
    wb = load_workbook(BytesIO(content))
    errors, _total = lines(session, job.id, LineKind.error, limit=1_000_000)
    by_cell: dict[tuple[str, int, str], list[str]] = {}
    for e in errors:
        by_cell.setdefault((e.sheet, e.row, e.column or "A"), []).append(e.message)
    for (sheet, row, column), messages in by_cell.items():
        cell = wb[sheet][f"{column}{row}"]
        cell.fill = ERROR_FILL
        cell.comment = Comment("\n".join(messages), "ParkGrid", width=300, height=100)
    return sheets.to_bytes(wb)


def sheet_titles() -> dict[str, str]:
    return {s.key: s.title for s in layout.SHEETS}
