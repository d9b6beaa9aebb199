"""Importing a park's roster from a workbook: check every row, preview, then apply it all.

The work is split so that no write transaction waits on parsing or checking:
1. `start` stores the file with a new job (the upload request, after `workbook.inspect`);
2. `run_check` parses the file with no transaction open, checks every row against the
   park's roster in a read transaction, and stores the preview: counts, errors, changes,
   and a digest of the plan;
3. `run_apply`, after confirmation, parses and checks again outside any write transaction
   and, only if the plan is still the one previewed, prepares every row and audit row.
   The write transaction then only makes sure the roster is still the one the plan was
   computed against (a fingerprint of its rows) and writes, in bulk, all or nothing.
Jobs run in the background of the web request (or in the foreground of the CLI) and open
their own sessions through `Sessions`, so their progress commits while the work goes on.
A running job belongs to the process that claimed it, under a lease it renews as it goes;
a job whose process died, or whose lease ran out, is failed (`recover_interrupted` at
start-up) and may be confirmed again.
"""

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.audit.models import AuditAction, AuditLog
from app.core import permissions, privacy, sheets
from app.core.errors import Busy, Conflict
from app.core.i18n import _
from app.core.permissions import Principal
from app.core.types import utcnow
from app.enterprises import pinyin
from app.enterprises.models import Enterprise, Liaison
from app.geo.models import Grid, Park
from app.imports import layout, workbook, workers
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
    people: list[Liaison] = field(default_factory=list)  # every one, two with one number too


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
        people=people,
    )


# What a plan depends on, per table: every column the workbook shows or the import writes.
# A grid's status (saved by liaisons all day) is not among them.
WATCHED_GRID_COLUMNS = ("id", "park_id", "name", "basis", "sort_order", "liaison_id")


def _watched(model: type) -> tuple[str, ...]:
    if model is Grid:
        return WATCHED_GRID_COLUMNS
    return tuple(c.key for c in model.__table__.columns)  # type: ignore[attr-defined]


def _fingerprint(tables: list[tuple[type, Iterable[Any]]]) -> str:
    """A digest of roster rows (ORM objects or result rows alike), in the watched columns."""
    h = hashlib.sha256()
    for model, rows in tables:
        keys = _watched(model)
        values = sorted(
            (tuple(getattr(getattr(r, k), "value", getattr(r, k)) for k in keys) for r in rows),
            key=lambda v: v[0],
        )
        h.update(json.dumps([model.__name__, values], ensure_ascii=False, default=str).encode())
    return h.hexdigest()


def _fingerprint_of(current: Current) -> str:
    """The fingerprint of the roster a plan was computed against."""
    return _fingerprint(
        [
            (Grid, current.grids.values()),
            (Liaison, current.people),
            (Enterprise, current.enterprises.values()),
        ]
    )


def _stored_fingerprint(session: Session, park_id: int) -> str:
    """The fingerprint of the park's roster as stored now, read with three narrow queries."""
    grid = Grid.__table__  # type: ignore[attr-defined]
    people = Liaison.__table__  # type: ignore[attr-defined]
    firms = Enterprise.__table__  # type: ignore[attr-defined]
    in_park = sa.select(grid.c.id).where(grid.c.park_id == park_id)
    return _fingerprint(
        [
            (
                Grid,
                session.execute(
                    sa.select(*(grid.c[k] for k in WATCHED_GRID_COLUMNS)).where(
                        grid.c.park_id == park_id
                    )
                ),
            ),
            (Liaison, session.execute(sa.select(people).where(people.c.park_id == park_id))),
            (Enterprise, session.execute(sa.select(firms).where(firms.c.grid_id.in_(in_park)))),
        ]
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
    # Numbers outside the viewer's own place are masked; the import reads them back.
    serves: dict[int, set[int]] = {}
    for g in all_grids:
        if g.liaison_id:
            serves.setdefault(g.liaison_id, set()).add(g.id)
    for e in current.enterprises.values():
        if e.liaison_id:
            serves.setdefault(e.liaison_id, set()).add(e.grid_id)

    def masked(values: dict[str, Any], key: str, grid_ids: set[int]) -> dict[str, Any]:
        number = values.get(key)
        if number:
            values[key] = privacy.shown(who, number, park_id=park.id, grid_ids=grid_ids)
        return values

    return layout.Filled(
        grid_names=[g.name for g in all_grids],
        rows={
            "grids": [
                masked(values_of(GRIDS, g, current), "liaison_mobile", {g.id}) for g in grids
            ],
            "liaisons": [
                masked(values_of(LIAISONS, li, current), "mobile", serves.get(li.id, set()))
                for li in people
            ],
            "enterprises": [
                masked(values_of(ENTERPRISES, e, current), "liaison_mobile", {e.grid_id})
                for e in firms
            ],
        },
    )


def row_count(filled: layout.Filled) -> int:
    """How many rows of data a roster workbook holds, over its sheets."""
    return sum(len(rows) for rows in filled.rows.values())


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


def template(session: Session, park: Park, *, mark: sheets.Mark | None = None) -> bytes:
    """The empty import template of a park, its grids in the grid drop-down."""
    grids = session.exec(
        select(Grid.name)
        .where(Grid.park_id == park.id)
        .order_by(col(Grid.sort_order), col(Grid.id))
    )
    return layout.write(park.name, layout.Filled(grid_names=list(grids)), mark=mark)


def export(
    session: Session,
    who: Principal,
    park: Park,
    grid_id: int | None = None,
    *,
    mark: sheets.Mark | None = None,
) -> bytes:
    """The park's (or a grid's) roster in the import layout: it imports back unchanged."""
    return layout.write(park.name, roster(session, who, park, grid_id), mark=mark)


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
        self._masks: dict[str, set[str]] | None = None  # masked number -> stored numbers

    def _raw_keys(self, sheet: str, key: str, norm: Callable[[Any], str]) -> set[str]:
        table = self.tables.get(sheet)
        return {norm(layout.shown(r.values.get(key))) for r in table.rows} if table else set()

    def error(self, table: Table, row: int, key: str | None, message: str) -> None:
        column = table.letters.get(key, "") if key else ""
        label = table.sheet.column(key).title if key else ""
        self.plan.findings.append(
            Finding(LineKind.error, table.sheet.title, row, column, label, message)
        )

    def warning(self, table: Table, row: int, key: str | None, message: str) -> None:
        column = table.letters.get(key, "") if key else ""
        label = table.sheet.column(key).title if key else ""
        self.plan.findings.append(
            Finding(LineKind.warning, table.sheet.title, row, column, label, message)
        )

    def cells(self, table: Table, row: workbook.Row) -> dict[str, Any] | None:
        """The row's values read by their columns, or None after recording its errors."""
        out, ok = {}, True
        for c in table.sheet.columns:
            if c.key not in table.letters:
                out[c.key] = layout.read_cell(c, None) if not c.required else None
                continue
            ref = table.merged.get((row.number, c.key))
            if ref is not None and c.required:
                # Blank because a merge covers it: say so, or the clerk sees a value there.
                self.error(table, row.number, c.key, _merged_message(table, row.number, c, ref))
                ok = False
                continue
            try:
                out[c.key] = layout.read_cell(c, self.unmasked(c, row.values.get(c.key)))
            except CellError as exc:
                self.error(table, row.number, c.key, str(exc))
                ok = False
        return out if ok else None

    def unmasked(self, c: Col, value: Any) -> Any:
        """A mobile cell showing a number masked (a roster an office downloaded) reads as
        the park's stored number it masks, when exactly one person of the park has it."""
        if c.kind is not layout.Kind.mobile or not isinstance(value, str):
            return value
        if not privacy.is_masked(value):
            return value
        if self._masks is None:
            self._masks = {}
            for li in self.current.people:
                self._masks.setdefault(privacy.mask(li.mobile), set()).add(li.mobile)
        found = self._masks.get(value.strip(), set())
        if len(found) == 1:
            return next(iter(found))
        raise CellError(
            _("“{field}” shows a masked number ({value}): type the number in full.").format(
                field=c.title, value=value.strip()
            )
        )

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

    def notes(self) -> None:
        """The warnings of each sheet: cells filled from a merge, optional cells a merge
        left blank, hidden rows. None of them stops the import."""
        for table in self.tables.values():
            sheet = table.sheet
            for key in dict.fromkeys(f.key for f in table.filled):
                mine = [f for f in table.filled if f.key == key]
                rows = sorted(r for f in mine for r in f.rows)
                self.warning(
                    table,
                    rows[0],
                    key,
                    _(
                        "{n} rows took their “{field}” from a merged cell ({ranges}): rows "
                        "{rows}. Each of them is imported with the value of the merged cell."
                    ).format(
                        n=len(rows),
                        field=sheet.column(key).title,
                        ranges="、".join(f.ref for f in mine),
                        rows=spans(rows),
                    ),
                )
            blank: dict[tuple[str, str], list[int]] = {}
            for (number, key), ref in table.merged.items():
                if not sheet.column(key).required:
                    blank.setdefault((key, ref), []).append(number)
            for (key, ref), rows in blank.items():
                rows.sort()
                self.warning(
                    table,
                    rows[0],
                    key,
                    _(
                        "Rows {rows}, column “{field}”: inside the merged cells {range}, whose "
                        "value is in {first} only; these rows are imported with it blank."
                    ).format(
                        rows=spans(rows),
                        field=sheet.column(key).title,
                        range=ref,
                        first=ref.split(":")[0],
                    ),
                )
            if table.hidden:
                self.warning(
                    table,
                    table.hidden[0],
                    None,
                    _(
                        "{n} rows are hidden in the workbook: rows {rows}. They are checked "
                        "and imported like the others; if they should not be, delete them "
                        "and upload the file again."
                    ).format(n=len(table.hidden), rows=spans(table.hidden)),
                )

    def run(self) -> Plan:
        self.liaisons()
        self.grids()
        self.enterprises()
        self.notes()
        self.plan.findings.sort(key=lambda f: (f.sheet, f.row))
        return self.plan


def _merged_message(table: Table, row: int, c: Col, ref: str) -> str:
    return _(
        "Row {row}, column “{field}”: the cell is inside the merged cells {range}, whose "
        "value is in {first} only, so this row has none. Unmerge the cells and fill in "
        "every row."
    ).format(row=row, field=c.title, range=ref, first=ref.split(":")[0])


def spans(rows: list[int], limit: int = 40) -> str:
    """Row numbers as runs, "5–9、12", the first `limit` runs and "…" for the rest."""
    runs: list[list[int]] = []
    for r in sorted(rows):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    words = [f"{a}–{b}" if b > a else str(a) for a, b in runs]
    return "、".join(words[:limit]) + ("、…" if len(words) > limit else "")


def _compact(text: str) -> str:
    return layout.compact(text)


def _digits(text: str) -> str:
    # Full-width digits too: the key must equal the number the cell reads as.
    return "".join(ch for ch in layout.compact(text) if "0" <= ch <= "9")[-11:]


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
LIAISON_COLUMNS = ("name", "mobile", "role")
GRID_COLUMNS = ("name", "basis", "sort_order")


@dataclass
class Firm:
    """An enterprise row to write: its columns, its grid and liaison by name and mobile (their
    ids come in the write transaction), and its audit snapshots."""

    fields: dict[str, Any]
    grid: str
    mobile: str | None
    after: dict[str, Any]  # the audit snapshot after, but for the ids
    id: int | None = None  # of the stored enterprise it updates
    before: dict[str, Any] | None = None


@dataclass
class Ready:
    """A plan turned into rows and audit snapshots before any write transaction opens, so
    that the transaction only checks the roster is still the one planned against, and
    writes. Ids of new rows, and references to them, are filled in there."""

    park_id: int
    label: str
    head: dict[str, Any]  # what the import's own audit row records
    fingerprint: str  # of the roster the plan was computed against
    liaison_ids: dict[str, int]  # mobile -> id, of the people stored
    grid_ids: dict[str, int]  # name -> id, of the grids stored
    new_liaisons: list[dict[str, Any]] = field(default_factory=list)
    changed_liaisons: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> fields
    new_grids: list[dict[str, Any]] = field(default_factory=list)  # fields and liaison_mobile
    changed_grids: dict[int, dict[str, Any]] = field(default_factory=dict)
    released: list[int] = field(default_factory=list)  # nodes that let go before the rest
    new_firms: list[Firm] = field(default_factory=list)
    changed_firms: list[Firm] = field(default_factory=list)


def prepare(plan: Plan, current: Current, job: ImportJob) -> Ready:
    """Everything `write` needs from the plan, computed with no transaction open."""
    park = current.park
    ready = Ready(
        park_id=park.id,
        label=f"{park.name} · {job.filename}",
        head={"counts": plan.counts(), "file": job.filename, "sha256": job.sha256},
        fingerprint=_fingerprint_of(current),
        liaison_ids={m: li.id for m, li in current.liaisons.items()},
        grid_ids={name: g.id for name, g in current.grids.items()},
    )
    for op in plan.ops:
        if op.action == "unchanged":
            continue
        v = op.values
        if op.sheet is LIAISONS:
            fields = {k: v[k] for k in LIAISON_COLUMNS}
            if op.action == "new":
                ready.new_liaisons.append(fields | {"park_id": park.id})
            else:
                ready.changed_liaisons[current.liaisons[op.key].id] = fields
        elif op.sheet is GRIDS:
            fields = {k: v[k] for k in GRID_COLUMNS} | {"liaison_mobile": v["liaison_mobile"]}
            if op.action == "new":
                ready.new_grids.append(fields | {"park_id": park.id})
            else:
                ready.changed_grids[current.grids[op.key].id] = fields
        else:
            fields = {k: v[k] for k in ENTERPRISE_COLUMNS}
            firm = Firm(fields, v["grid"], v["liaison_mobile"], audit.plain(Enterprise, fields))
            if op.action == "new":
                ready.new_firms.append(firm)
                continue
            e = current.enterprises[op.key]
            firm.id, firm.before = e.id, audit.snapshot(e)
            ready.changed_firms.append(firm)
            # One node per grid holds in the database at every moment (a partial unique
            # index): nodes that stop being one, or move, let go first.
            if e.is_node and (not v["is_node"] or v["grid"] != op.before["grid"]):
                ready.released.append(e.id)
    return ready


def write(session: Session, who: Principal, job_id: int, ready: Ready) -> AuditLog:
    """Writes a prepared plan in the caller's transaction with one audit row per object
    changed, all sharing the import's own audit row as their batch. Returns that row.

    Enterprises and audit rows go in as bulk statements, from values prepared beforehand:
    on SQLite the write lock is held while this runs, and other users' saves wait for it.
    Every object written belongs to the job's park, which the check found the principal
    may change, so no object can leave the principal's scope here.
    """
    head = audit.record(
        session=session,
        who=who,
        action=AuditAction.imported,
        object_type="ImportJob",
        object_id=job_id,
        label=ready.label,
        after=ready.head,
    )
    head.batch_id = head.id
    created: list[Any] = []
    updated: list[tuple[Any, dict[str, Any]]] = []  # (object, its snapshot before)

    def change(model: type, wanted: dict[int, dict[str, Any]], extra=None) -> None:
        if not wanted:
            return
        for obj in session.exec(select(model).where(col(model.id).in_(list(wanted)))):
            before = audit.snapshot(obj)
            fields = {k: v for k, v in wanted[obj.id].items() if k != "liaison_mobile"}
            for k, value in (fields | (extra(wanted[obj.id]) if extra else {})).items():
                setattr(obj, k, value)
            session.add(obj)
            updated.append((obj, before))

    new_people = [Liaison(**fields) for fields in ready.new_liaisons]
    session.add_all(new_people)
    change(Liaison, ready.changed_liaisons)
    session.flush()
    created += new_people
    mobile_id = ready.liaison_ids | {li.mobile: li.id for li in new_people}

    def liaison_id(mobile: str | None) -> int | None:
        return mobile_id[mobile] if mobile else None

    new_grids = [
        Grid(
            **{k: v for k, v in fields.items() if k != "liaison_mobile"},
            liaison_id=liaison_id(fields["liaison_mobile"]),
        )
        for fields in ready.new_grids
    ]
    session.add_all(new_grids)
    change(Grid, ready.changed_grids, lambda f: {"liaison_id": liaison_id(f["liaison_mobile"])})
    session.flush()
    created += new_grids
    grid_id = ready.grid_ids | {g.name: g.id for g in new_grids}

    def row(firm: Firm) -> dict[str, Any]:
        refs = {"grid_id": grid_id[firm.grid], "liaison_id": liaison_id(firm.mobile)}
        return firm.fields | refs

    def snapshot(firm: Firm, row: dict[str, Any], id_: int) -> dict[str, Any]:
        return firm.after | {"id": id_, "grid_id": row["grid_id"], "liaison_id": row["liaison_id"]}

    table = Enterprise.__table__  # type: ignore[attr-defined]
    entries = [
        audit.Entry(AuditAction.create, type(o).__name__, o.id, o.name, None, audit.snapshot(o))
        for o in created
    ]
    entries += [
        audit.Entry(AuditAction.update, type(o).__name__, o.id, o.name, before, audit.snapshot(o))
        for o, before in updated
    ]
    try:
        if ready.released:
            session.execute(
                sa.update(table).where(table.c.id.in_(ready.released)).values(is_node=False)
            )
        if ready.changed_firms:
            rows = [row(f) | {"key": f.id} for f in ready.changed_firms]
            session.execute(sa.update(table).where(table.c.id == sa.bindparam("key")), rows)
            entries += [
                audit.Entry(
                    AuditAction.update,
                    "Enterprise",
                    f.id,
                    r["name"],
                    f.before,
                    snapshot(f, r, f.id),
                )
                for f, r in zip(ready.changed_firms, rows, strict=True)
            ]
        if ready.new_firms:
            rows = [row(f) for f in ready.new_firms]
            # A plain executemany: RETURNING would make the driver parse one huge statement
            # per thousand rows (seconds for 20,000 on psycopg). The new ids are then read
            # back by their codes, among the park's, with one narrow query.
            session.execute(sa.insert(table), rows)
            new = {row["credit_code"] for row in rows}
            in_park = sa.select(Grid.__table__.c.id).where(  # type: ignore[attr-defined]
                Grid.__table__.c.park_id == ready.park_id  # type: ignore[attr-defined]
            )
            ids = {
                code: id_
                for code, id_ in session.execute(
                    sa.select(table.c.credit_code, table.c.id).where(table.c.grid_id.in_(in_park))
                )
                if code in new
            }
            entries += [
                audit.Entry(
                    AuditAction.create,
                    "Enterprise",
                    ids[r["credit_code"]],
                    r["name"],
                    None,
                    snapshot(f, r, ids[r["credit_code"]]),
                )
                for f, r in zip(ready.new_firms, rows, strict=True)
            ]
    except IntegrityError:
        raise Conflict(
            _("Someone changed the park's roster while it was being imported. Check it again.")
        ) from None
    audit.record_many(session=session, who=who, entries=entries, batch_id=head.id)
    return head


# ---- jobs and their workers -------------------------------------------------------------

# A running job belongs to the worker process that claimed it for this long unless renewed;
# the worker renews it with every progress step and between steps, and none of its steps
# comes near this long. A lease that ran out means the worker is gone (or hopelessly stuck).
LEASE = timedelta(seconds=60)
# Progress (and the lease with it) is written at most this often: each is a small write.
REPORT_EVERY_S = 1.0
# How often the write is tried again when the roster changed between the check and the write.
APPLY_ATTEMPTS = 3


class LeaseLost(Exception):
    """The job is no longer this worker's: it was found interrupted, and failed, meanwhile."""


def _interrupted_message(job: ImportJob) -> str:
    if job.status is ImportStatus.applying:
        return _(
            "The import was interrupted when the server stopped or restarted. Nothing was "
            "written; confirm it again or upload the file again."
        )
    return _(
        "The check was interrupted when the server stopped or restarted. Nothing was "
        "imported; upload the file again."
    )


def interrupted(job: ImportJob, now: datetime | None = None) -> bool:
    """Whether a running job has lost its worker: its lease ran out, or the worker's process
    on this host has ended. A job that a live worker holds under its lease never is."""
    if job.status not in RUNNING:
        return False
    if job.lease_until is None or job.lease_until <= (now or utcnow()):
        return True
    return workers.alive(workers.Worker.parse(job.worker)) is False


def recover_interrupted(session: Session) -> list[int]:
    """Fails every running job whose worker is gone (its process on this host ended, or its
    lease ran out), with the reason for the people who started it; returns their ids.

    Called when the application starts, in a write transaction the caller commits. Jobs of
    live workers (other processes of this server, other hosts under their lease) are left
    alone; on PostgreSQL a job whose row a worker holds locked is skipped, as it is alive.
    """
    stmt = select(ImportJob).where(col(ImportJob.status).in_(RUNNING))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    now = utcnow()
    failed = []
    for job in session.exec(stmt):
        if interrupted(job, now):
            job.message = _interrupted_message(job)
            job.status, job.lease_until = ImportStatus.failed, None
            job.updated_at = job.finished_at = now
            session.add(job)
            failed.append(job.id)
    session.flush()
    return failed


def can_confirm(job: ImportJob) -> bool:
    """A checked job may be confirmed; so may one whose import failed or was interrupted,
    with the preview it had (applying checks it again against the roster as it is then)."""
    if job.status is ImportStatus.checked:
        return True
    retry = job.status is ImportStatus.failed or interrupted(job)
    # A job cut off while it was being checked has no preview: it is uploaded again.
    clean = bool(job.digest) and job.counts is not None and not job.errors
    return retry and clean and job.audit_id is None


def _claim(job: ImportJob) -> None:
    job.worker = str(workers.current())
    job.lease_until = utcnow() + LEASE


def start(
    session: Session, who: Principal, *, park_id: int, filename: str, content: bytes
) -> ImportJob:
    """Keeps an inspected file with a new job, which `run_check` then works through in this
    process: the job is this process's from the start."""
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
    _claim(job)
    session.add(job)
    session.flush()
    session.add(ImportFile(job_id=job.id, content=content))
    session.flush()
    return job


def confirm(session: Session, who: Principal, job_id: int) -> ImportJob:
    """Claims a checked job for applying in this process; a job whose import failed or was
    interrupted may be confirmed again. Anything else cannot be confirmed (409)."""
    job = permissions.get(session, who, "change", ImportJob, job_id)
    if not can_confirm(job):
        raise _not_confirmable(job)
    now, me = utcnow(), str(workers.current())
    # Conditional on what was read: of two confirmations at once one claims the job, and a
    # worker that renewed its lease meanwhile keeps it.
    claimed = session.execute(
        sa.update(ImportJob)
        .where(
            col(ImportJob.id) == job.id,
            col(ImportJob.status) == job.status,
            col(ImportJob.worker) == job.worker,
            col(ImportJob.lease_until).is_not_distinct_from(job.lease_until),
        )
        .values(
            status=ImportStatus.applying,
            rows_done=0,
            message="",
            worker=me,
            lease_until=now + LEASE,
            updated_at=now,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(job)
    if claimed.rowcount != 1:
        raise _not_confirmable(job)
    return job


def _not_confirmable(job: ImportJob) -> Conflict:
    return Conflict(
        _("This import cannot be confirmed: it is {status}.").format(status=status_label(job))
    )


@contextmanager
def _writing(sessions: Sessions) -> Iterator[Session]:
    with sessions(True) as s:
        yield s
        s.commit()


class _Run:
    """A worker's hold on a job while it checks or applies it: every write about the job is
    conditional on the job still being this worker's, and renews the lease."""

    def __init__(
        self,
        sessions: Sessions,
        job_id: int,
        status: ImportStatus,
        shown: workbook.Progress | None = None,
    ):
        self.sessions, self.job_id, self.status, self.shown = sessions, job_id, status, shown
        self.worker = str(workers.current())
        self.reported = 0.0

    def update(self, session: Session, **values: Any) -> bool:
        """Writes values of the job (and a new lease) if it is still this worker's."""
        now = utcnow()
        result = session.execute(
            sa.update(ImportJob)
            .where(
                col(ImportJob.id) == self.job_id,
                col(ImportJob.status) == self.status,
                col(ImportJob.worker) == self.worker,
            )
            .values(updated_at=now, **({"lease_until": now + LEASE} | values))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def hold(self, session: Session) -> None:
        """Renews the lease in the caller's write transaction, or LeaseLost. On PostgreSQL
        the job's row stays locked until that transaction ends, so no one fails it meanwhile."""
        if not self.update(session):
            raise LeaseLost

    def renew(self, **values: Any) -> None:
        """Renews the lease (writing `values` with it) in a transaction of its own."""
        with _writing(self.sessions) as s:
            if not self.update(s, **values):
                raise LeaseLost

    def step(self, done: int, total: int) -> None:
        """A progress step: shown, and written with the lease at most every REPORT_EVERY_S
        (the runner writes the last one itself, when the file has been read)."""
        if self.shown:
            self.shown(done, total)
        now = time.monotonic()
        if now - self.reported < REPORT_EVERY_S:
            return
        self.reported = now
        with suppress(Busy, OperationalError, PoolTimeout):
            # Progress is bookkeeping: a busy database skips a step; the lease outlasts it.
            self.renew(rows_done=done, rows_total=total)

    def read(self, content: bytes) -> list[Table]:
        """The job's file parsed, the progress shown as it goes."""
        tables = workbook.read(content, layout.SHEETS, self.step)
        rows = sum(len(t.rows) for t in tables)
        self.renew(rows_done=rows, rows_total=rows)
        return tables

    def fail(self, message: str) -> None:
        """Fails the job with a message, if it is still this worker's."""
        with _writing(self.sessions) as s:
            self.update(
                s,
                status=ImportStatus.failed,
                message=message[:500],
                lease_until=None,
                finished_at=utcnow(),
            )


def _store_preview(s: Session, job: ImportJob, plan: Plan, message: str = "") -> None:
    for line in s.exec(select(ImportLine).where(ImportLine.job_id == job.id)):
        s.delete(line)
    warnings = [f for f in plan.findings if f.kind is LineKind.warning]
    kept = list(plan.errors) + warnings + list(_change_lines(plan))[:KEPT_CHANGES]
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
    job.lease_until = None
    job.updated_at = job.finished_at = utcnow()
    s.add(job)


def _content(sessions: Sessions, job_id: int) -> bytes:
    with sessions(False) as s:
        return s.get(ImportFile, job_id).content


def run_check(
    sessions: Sessions, who: Principal, job_id: int, progress: workbook.Progress | None = None
) -> None:
    """Parses the job's file and stores its preview; a refusal or crash fails the job."""
    run = _Run(sessions, job_id, ImportStatus.checking, progress)
    try:
        tables = run.read(_content(sessions, job_id))
        with sessions(False) as s:
            job = s.get(ImportJob, job_id)
            plan = check(s, who, job.park_id, tables)
        with _writing(sessions) as s:
            run.hold(s)
            _store_preview(s, s.get(ImportJob, job_id), plan)
    except LeaseLost:
        return  # failed as interrupted meanwhile: nothing of this run is wanted
    except Refused as exc:
        run.fail(exc.message)
    except Exception:
        run.fail(_("The file could not be checked. Nothing was imported."))
        raise


def run_apply(
    sessions: Sessions, who: Principal, job_id: int, progress: workbook.Progress | None = None
) -> None:
    """Applies a confirmed job, all or nothing, if its plan is still the previewed one.

    The file is read and checked again with no write transaction open. The write
    transaction then only makes sure the roster is still the one the plan was computed
    against (its fingerprint), and writes. A roster changed in between is checked again.
    """
    run = _Run(sessions, job_id, ImportStatus.applying, progress)
    try:
        tables = run.read(_content(sessions, job_id))
        for attempt in range(APPLY_ATTEMPTS):
            if attempt:
                run.renew()
            with sessions(False) as s:
                job = s.get(ImportJob, job_id)
                park = permissions.get(s, who, "change", Park, job.park_id)
                current = _current(s, park)
                plan = _Checker(s, who, current, tables).run()
            if plan.errors or plan.digest() != job.digest:
                with _writing(sessions) as s:
                    run.hold(s)
                    message = _(
                        "The park's roster changed after the preview, so nothing was imported. "
                        "Check the new preview and confirm again."
                    )
                    _store_preview(s, s.get(ImportJob, job_id), plan, message)
                return
            ready = prepare(plan, current, job)
            with sessions(True) as s:
                run.hold(s)
                if _stored_fingerprint(s, ready.park_id) != ready.fingerprint:
                    s.rollback()  # changed since it was read: read and check again
                    continue
                head = write(s, who, job_id, ready)
                run.update(
                    s,
                    status=ImportStatus.applied,
                    audit_id=head.id,
                    lease_until=None,
                    finished_at=utcnow(),
                )
                s.commit()
            return
        run.fail(
            _("Someone changed the park's roster while it was being imported. Check it again.")
        )
    except LeaseLost:
        return  # failed as interrupted meanwhile: nothing of this run is wanted
    except Conflict as exc:
        run.fail(exc.message)
    except Exception:
        run.fail(_("The import failed. Nothing was imported."))
        raise


# ---- reading jobs -----------------------------------------------------------------------


def shown(job: ImportJob) -> ImportJob:
    """The job as people see it: a running job whose worker is gone shows as failed, with
    the reason. Reading writes nothing: start-up recovery, or a new confirmation, records it."""
    if not interrupted(job):
        return job
    values = job.model_dump() | {
        "status": ImportStatus.failed,
        "message": _interrupted_message(job),
        "lease_until": None,
    }
    return ImportJob(**values)


def status_label(job: ImportJob) -> str:
    return _(IMPORT_STATUS_LABELS[shown(job).status])


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


def error_workbook(
    session: Session, job: ImportJob, *, mark: sheets.Mark | None = None
) -> tuple[bytes, int]:
    """The uploaded workbook with every bad cell filled red and a comment saying what is
    wrong, and how many cells are marked. A bad cell inside merged cells marks the range's
    top-left cell, the only one of a merged range that holds a value and a comment."""
    content = session.get(ImportFile, job.id).content
    wb = load_workbook(BytesIO(content))
    errors, _total = lines(session, job.id, LineKind.error, limit=1_000_000)
    by_cell: dict[tuple[str, int, str], list[str]] = {}
    for e in errors:
        by_cell.setdefault((e.sheet, e.row, e.column or "A"), []).append(e.message)
    marked: dict[tuple[str, str], list[str]] = {}
    for (sheet, row, column), messages in by_cell.items():
        ws = wb[sheet]
        coordinate = f"{column}{row}"
        for merged in ws.merged_cells.ranges:
            if coordinate in merged and coordinate != merged.start_cell.coordinate:
                # The comment sits elsewhere, so it says which cell each message is about.
                messages = [f"{coordinate}：{m}" for m in messages]
                coordinate = merged.start_cell.coordinate
                break
        marked.setdefault((sheet, coordinate), []).extend(messages)
    for (sheet, coordinate), messages in marked.items():
        cell = wb[sheet][coordinate]
        cell.fill = ERROR_FILL
        cell.comment = Comment("\n".join(messages), "ParkGrid", width=300, height=100)
    return sheets.to_bytes(wb, mark=mark), len(marked)


def sheet_titles() -> dict[str, str]:
    return {s.key: s.title for s in layout.SHEETS}
