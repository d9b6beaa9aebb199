"""Monthly grid work reports (网格月报): the grid's liaison fills and submits, the park confirms.

States: draft → submitted → confirmed, or submitted → returned (with a comment) → submitted.
A confirmed report is final. Confirmed figures feed the park's computed indicators through
`quarter_sums`, which adds them up over the year to the end of a quarter (the assessment's
values are cumulative for the year). Every change is audited; every write of the report
carries the version its form was read at, and a stale one is refused (Conflict).
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import files, permissions
from app.core.db import add_new
from app.core.errors import Conflict, Invalid, NotFound
from app.core.i18n import N_, _, gettext
from app.core.inputs import bad_character
from app.core.permissions import Principal
from app.core.templating import LOCAL_TZ
from app.core.types import utcnow
from app.geo.models import Grid, Park
from app.gridwork import attachments
from app.gridwork.models import MonthlyPhoto, MonthlyReport, MonthlyState

# The figures of a month, in the order the form asks for them.
FIGURES = (
    "guidance_sessions",
    "guidance_attendance",
    "training_sessions",
    "training_person_times",
    "competition_participants",
    "innovations",
    "culture_activities",
    "culture_reach",
    "service_actions",
)
FIGURE_LABELS = {
    "guidance_sessions": N_("Guidance and education sessions"),
    "guidance_attendance": N_("Guidance attendance"),
    "training_sessions": N_("Training sessions"),
    "training_person_times": N_("Training person-times"),
    "competition_participants": N_("Skills competition participants"),
    "innovations": N_("Innovation results"),
    "culture_activities": N_("Culture and sports activities"),
    "culture_reach": N_("Culture and sports reach"),
    "service_actions": N_("Services to workers"),
}
FIGURE_UNITS = {
    "guidance_sessions": N_("sessions"),
    "guidance_attendance": N_("person-times"),
    "training_sessions": N_("sessions"),
    "training_person_times": N_("person-times"),
    "competition_participants": N_("person-times"),
    "innovations": N_("items"),
    "culture_activities": N_("sessions"),
    "culture_reach": N_("person-times"),
    "service_actions": N_("times"),
}
FIGURE_HINTS = {
    "innovations": N_('"Five smalls", rationalisation proposals and patents'),
    "service_actions": N_("Visits, help and services given to workers"),
}
# The form's sections, after the guide's aspects.
GROUPS = (
    (N_("Ideological guidance"), ("guidance_sessions", "guidance_attendance")),
    (N_("Skills training"), ("training_sessions", "training_person_times")),
    (N_("Achievement and innovation"), ("competition_participants", "innovations")),
    (N_("Culture and sports"), ("culture_activities", "culture_reach")),
    (N_("Services to workers"), ("service_actions",)),
)
# People cannot attend activities that were not held: each count needs its sessions.
NEEDS = {
    "guidance_attendance": "guidance_sessions",
    "training_person_times": "training_sessions",
    "culture_reach": "culture_activities",
}
NOTES_LABEL = N_("Work notes")
COMMENT_LABEL = N_("Reason for returning")
# Within PostgreSQL's 32-bit integers, and far above any one grid's month.
MAX_FIGURE = 999_999
NOTES_MAX = 2000
COMMENT_MAX = 500
MAX_PHOTOS = 12
PHOTO_KINDS = files.PHOTOS

EDITABLE = frozenset({MonthlyState.draft, MonthlyState.returned})

# For the assessment's basis text; {n} is reports_count's number.
SUMS_BASIS = N_("Summed from {n} confirmed monthly grid reports")


# ---- months ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, written YYYY-MM in URLs."""

    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def name(self) -> str:
        """The month as people write it (2026年10月)."""
        return _("{year}, month {month}").format(year=self.year, month=self.month)

    def previous(self) -> "Month":
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> "Month | None":
        """The month a YYYY-MM text names, or None when it names none."""
        m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
        if not m:
            return None
        year, month = int(m.group(1)), int(m.group(2))
        if year < 2000 or not 1 <= month <= 12:
            return None
        return cls(year, month)


def this_month(today: date | None = None) -> Month:
    """The current month in Beijing time."""
    return Month.of(today or utcnow().astimezone(LOCAL_TZ).date())


def check_month(month: Month, today: date | None = None) -> None:
    """Refuses a month that has not begun: a month is reported from its first day on."""
    if month > this_month(today):
        raise Invalid(
            {
                "month": _(
                    "{month} has not begun yet: only the current and past months can be reported."
                ).format(month=month.name)
            }
        )


# ---- reading -----------------------------------------------------------------------


@dataclass
class MonthView:
    grid: Grid
    park: Park
    month: Month
    report: MonthlyReport | None
    photos: list[MonthlyPhoto] = field(default_factory=list)

    @property
    def state(self) -> MonthlyState:
        return self.report.state if self.report else MonthlyState.draft

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE

    def figure(self, name: str) -> int:
        return getattr(self.report, name) if self.report else 0


def _find(session: Session, grid_id: int, month: Month, *, lock: bool = False):
    stmt = select(MonthlyReport).where(
        MonthlyReport.grid_id == grid_id,
        MonthlyReport.year == month.year,
        MonthlyReport.month == month.month,
    )
    # A writer locks the row (PostgreSQL) so its version check and its write are one step;
    # SQLite writers are serialised by BEGIN IMMEDIATE already.
    return session.exec(stmt.with_for_update() if lock else stmt).first()


def _photos(session: Session, report: MonthlyReport | None) -> list[MonthlyPhoto]:
    if report is None:
        return []
    return list(
        session.exec(
            select(MonthlyPhoto)
            .where(MonthlyPhoto.report_id == report.id)
            .order_by(col(MonthlyPhoto.id))
        )
    )


def load(*, session: Session, who: Principal, grid_id: int, month: Month) -> MonthView:
    """A grid's report for a month as its page shows it (in the principal's view scope)."""
    grid = permissions.get(session, who, "view", Grid, grid_id)
    report = _find(session, grid_id, month)
    return MonthView(
        grid=grid,
        park=session.get(Park, grid.park_id),
        month=month,
        report=report,
        photos=_photos(session, report),
    )


@dataclass
class MonthRow:
    month: Month
    report: MonthlyReport | None


def months(
    *, session: Session, who: Principal, grid_id: int, today: date | None = None, count: int = 12
) -> tuple[Grid, list[MonthRow]]:
    """A grid's last `count` months up to this one, newest first, and any older reports."""
    grid = permissions.get(session, who, "view", Grid, grid_id)
    found = {
        Month(r.year, r.month): r
        for r in session.exec(select(MonthlyReport).where(MonthlyReport.grid_id == grid_id))
    }
    rows, m = [], this_month(today)
    for _i in range(count):
        rows.append(MonthRow(m, found.pop(m, None)))
        m = m.previous()
    rows += [MonthRow(k, found[k]) for k in sorted(found, reverse=True) if k < m]
    return grid, rows


def grid_year_sums(*, session: Session, grid_id: int, year: int) -> dict[str, int]:
    """A grid's confirmed figures of a year, added up."""
    row = session.exec(
        select(*[func.coalesce(func.sum(getattr(MonthlyReport, f)), 0) for f in FIGURES]).where(
            MonthlyReport.grid_id == grid_id,
            MonthlyReport.year == year,
            MonthlyReport.state == MonthlyState.confirmed,
        )
    ).one()
    return {f: int(v) for f, v in zip(FIGURES, row, strict=True)}


@dataclass
class Waiting:
    report: MonthlyReport
    grid: Grid
    park: Park

    @property
    def month(self) -> Month:
        return Month(self.report.year, self.report.month)


def waiting(*, session: Session, who: Principal) -> list[Waiting]:
    """Submitted reports of the grids of the parks whose reports the principal confirms."""
    stmt = (
        select(MonthlyReport, Grid, Park)
        .join(Grid, col(Grid.id) == col(MonthlyReport.grid_id))
        .join(Park, col(Park.id) == col(Grid.park_id))
        .where(MonthlyReport.state == MonthlyState.submitted)
        .order_by(col(MonthlyReport.submitted_at), col(Grid.sort_order))
    )
    return [
        Waiting(r, g, p)
        for r, g, p in session.exec(permissions.restrict(stmt, who, "report", Park))
    ]


@dataclass
class GridMonth:
    park: Park
    grid: Grid
    report: MonthlyReport | None


def park_month(*, session: Session, who: Principal, month: Month) -> list[GridMonth]:
    """Every grid of the principal's parks (to confirm) with its report of the month, if any."""
    grids = session.exec(
        permissions.restrict(
            select(Grid, Park)
            .join(Park, col(Park.id) == col(Grid.park_id))
            .order_by(col(Park.id), col(Grid.sort_order)),
            who,
            "report",
            Park,
        )
    ).all()
    reports = {
        r.grid_id: r
        for r in session.exec(
            select(MonthlyReport).where(
                col(MonthlyReport.grid_id).in_([g.id for g, _p in grids]),
                MonthlyReport.year == month.year,
                MonthlyReport.month == month.month,
            )
        )
    }
    return [GridMonth(p, g, reports.get(g.id)) for g, p in grids]


# ---- input -------------------------------------------------------------------------


def plain(raw: Any) -> str:
    # Phones' Chinese keyboards may type full-width digits and commas (１，２００).
    return unicodedata.normalize("NFKC", str(raw or "")).replace(",", "").strip()


def parse_figures(data: Mapping[str, Any]) -> tuple[dict[str, int], str]:
    """The month's figures and notes from a form, or Invalid naming every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, int] = {}
    for name in FIGURES:
        label = gettext(FIGURE_LABELS[name])
        raw = plain(data.get(name))
        if raw == "":
            values[name] = 0  # a figure left empty is nothing done
        elif not re.fullmatch(r"[0-9]+", raw):
            errors[name] = _("{field} must be a whole number of at least 0.").format(field=label)
        elif int(raw) > MAX_FIGURE:
            errors[name] = _("{field} must be at most {n}.").format(field=label, n=MAX_FIGURE)
        else:
            values[name] = int(raw)
    for name, needs in NEEDS.items():
        if values.get(name, 0) > 0 and values.get(needs) == 0:
            errors[name] = _("{field} must be 0 while {other} is 0.").format(
                field=gettext(FIGURE_LABELS[name]), other=gettext(FIGURE_LABELS[needs])
            )
    notes = str(data.get("notes") or "").strip()
    if bad_character(notes, multiline=True) is not None:
        errors["notes"] = gettext(NOTES_LABEL) + _("may not contain control characters.")
    elif len(notes) > NOTES_MAX:
        errors["notes"] = _("{field} may have at most {n} characters.").format(
            field=gettext(NOTES_LABEL), n=NOTES_MAX
        )
    if errors:
        raise Invalid(errors)
    return values, notes


def has_figures(data: Mapping[str, Any]) -> bool:
    """Whether a form carries the report's fields (a submit straight from the filled form)."""
    return any(name in data for name in (*FIGURES, "notes"))


# ---- guards ------------------------------------------------------------------------


def _label(grid: Grid, park: Park | None, month: Month) -> str:
    return f"{park.name if park else ''} {grid.name} {month.label}".strip()


def _current(report: MonthlyReport | None, version: int | None) -> None:
    # A form carries the version it was read at (0: no report yet); any write since refuses it.
    if version is not None and version != (report.version if report else 0):
        raise Conflict(
            _("This report was changed by someone else meanwhile. Reload it and try again.")
        )


def _editable(report: MonthlyReport | None) -> None:
    if report is None or report.state in EDITABLE:
        return
    if report.state is MonthlyState.confirmed:
        raise Conflict(_("This monthly report is confirmed and locked; it can no longer change."))
    raise Conflict(
        _(
            "This monthly report is submitted and waits for the park's confirmation; "
            "the park can return it for changes."
        )
    )


def _for_change(
    session: Session,
    who: Principal,
    grid_id: int,
    month: Month,
    version: int | None,
    today: date | None,
) -> tuple[Grid, MonthlyReport | None]:
    grid = permissions.get(session, who, "change", Grid, grid_id)
    check_month(month, today)
    report = _find(session, grid_id, month, lock=True)
    _current(report, version)
    return grid, report


def _create(session: Session, grid: Grid, month: Month) -> MonthlyReport:
    report = MonthlyReport(grid_id=grid.id, year=month.year, month=month.month)
    add_new(
        session,
        report,
        conflict=_("This report was changed by someone else meanwhile. Reload it and try again."),
    )
    return report


def _apply(report: MonthlyReport, values: Mapping[str, int], notes: str) -> bool:
    changed = False
    for name, value in (*values.items(), ("notes", notes)):
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed = True
    return changed


# ---- the grid's side ---------------------------------------------------------------


def save(
    *,
    session: Session,
    who: Principal,
    grid_id: int,
    month: Month,
    data: Mapping[str, Any],
    version: int | None = None,
    today: date | None = None,
) -> MonthlyReport:
    """Saves a month's figures and notes as a draft (or a returned report being corrected)."""
    grid, report = _for_change(session, who, grid_id, month, version, today)
    _editable(report)
    values, notes = parse_figures(data)
    before = audit.snapshot(report) if report else None
    if report is None:
        report = _create(session, grid, month)
    if not _apply(report, values, notes) and before is not None:
        return report  # nothing changed: no new version, no audit row
    if before is not None:
        report.version += 1
    session.add(report)
    permissions.recheck(session, who, "change", report)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update if before else AuditAction.create,
        obj=report,
        before=before,
        label=_label(grid, session.get(Park, grid.park_id), month),
    )
    return report


def submit(
    *,
    session: Session,
    who: Principal,
    grid_id: int,
    month: Month,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
    today: date | None = None,
) -> MonthlyReport:
    """Submits the month's report to the park; with `data`, its figures are saved first."""
    grid, report = _for_change(session, who, grid_id, month, version, today)
    _editable(report)
    parsed = parse_figures(data) if data is not None else None
    if report is None and parsed is None:
        raise Conflict(_("There is nothing to submit yet: fill in this month's report first."))
    before = audit.snapshot(report) if report else None
    if report is None:
        report = _create(session, grid, month)
    if parsed is not None:
        _apply(report, *parsed)
    report.state = MonthlyState.submitted
    report.submitted_at, report.submitted_by = utcnow(), who.display_name[:40]
    report.version += 1
    session.add(report)
    permissions.recheck(session, who, "change", report)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update if before else AuditAction.create,
        obj=report,
        before=before,
        label=_label(grid, session.get(Park, grid.park_id), month),
    )
    return report


# ---- the park's side ---------------------------------------------------------------


def _for_review(
    session: Session, who: Principal, grid_id: int, month: Month, version: int | None
) -> tuple[Grid, Park, MonthlyReport]:
    grid = permissions.get(session, who, "view", Grid, grid_id)
    # Only the park's administrators confirm its grids' reports (the "report" action).
    park = permissions.get(session, who, "report", Park, grid.park_id)
    report = _find(session, grid_id, month, lock=True)
    if report is None:
        raise Conflict(_("This grid has no report for this month yet."))
    _current(report, version)
    return grid, park, report


def _reviewed(
    session: Session,
    who: Principal,
    grid: Grid,
    park: Park,
    month: Month,
    report: MonthlyReport,
    **values: Any,
) -> MonthlyReport:
    """The park's decision on a report: its new values, one version on, audited as a change."""
    before = audit.snapshot(report)
    for name, value in values.items():
        setattr(report, name, value)
    report.version += 1
    session.add(report)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.update,
        obj=report,
        before=before,
        label=_label(grid, park, month),
    )
    return report


def confirm(
    *,
    session: Session,
    who: Principal,
    grid_id: int,
    month: Month,
    version: int | None = None,
) -> MonthlyReport:
    """Confirms a submitted report: it locks, and its figures count for the park."""
    grid, park, report = _for_review(session, who, grid_id, month, version)
    if report.state is not MonthlyState.submitted:
        raise Conflict(_("Only a submitted monthly report can be confirmed."))
    return _reviewed(
        session,
        who,
        grid,
        park,
        month,
        report,
        state=MonthlyState.confirmed,
        confirmed_at=utcnow(),
        confirmed_by=who.display_name[:40],
    )


def return_report(
    *,
    session: Session,
    who: Principal,
    grid_id: int,
    month: Month,
    comment: str,
    version: int | None = None,
) -> MonthlyReport:
    """Returns a submitted report to the grid with a comment saying what to change."""
    grid, park, report = _for_review(session, who, grid_id, month, version)
    if report.state is not MonthlyState.submitted:
        raise Conflict(_("Only a submitted monthly report can be returned."))
    comment = (comment or "").strip()
    if not comment:
        raise Invalid({"comment": _("Give the reason for returning the report.")})
    if bad_character(comment, multiline=True) is not None:
        raise Invalid(
            {"comment": gettext(COMMENT_LABEL) + _("may not contain control characters.")}
        )
    if len(comment) > COMMENT_MAX:
        raise Invalid(
            {
                "comment": _("{field} may have at most {n} characters.").format(
                    field=gettext(COMMENT_LABEL), n=COMMENT_MAX
                )
            }
        )
    return _reviewed(
        session, who, grid, park, month, report, state=MonthlyState.returned, return_comment=comment
    )


# ---- photos ------------------------------------------------------------------------


def add_photos(
    *,
    session: Session,
    who: Principal,
    storage: files.Storage,
    max_bytes: int,
    grid_id: int,
    month: Month,
    uploads: Sequence[tuple[str, bytes]],
    today: date | None = None,
) -> list[MonthlyPhoto]:
    """Adds JPG/PNG photos to a saved report that can still change.

    Every file is checked before any is kept: one bad file refuses them all.
    """
    grid, report = _for_change(session, who, grid_id, month, None, today)
    if report is None:
        # Starting the report here would make the open figures form stale (409) unseen.
        raise Invalid({"photo": _("Save the report as a draft first, then add its photos.")})
    _editable(report)
    uploads = [(name, content) for name, content in uploads if name or content]
    if not uploads:
        raise Invalid({"photo": _("Choose a photo to upload.")})
    problems, kinds = [], []
    for name, content in uploads:
        kind = files.kind_of(name, content, PHOTO_KINDS)
        problem = attachments.problem(
            content, max_bytes, kind, _("Only JPG and PNG photos are accepted.")
        )
        if problem:
            problems.append(f"{name}：{problem}")
        kinds.append(kind)
    have = len(_photos(session, report))
    if not problems and have + len(uploads) > MAX_PHOTOS:
        problems.append(
            _("A monthly report may have at most {n} photos; it has {have}.").format(
                n=MAX_PHOTOS, have=have
            )
        )
    if problems:
        raise Invalid({"photo": "；".join(problems)})
    park = session.get(Park, grid.park_id)
    added = []
    for (name, content), kind in zip(uploads, kinds, strict=True):
        photo = attachments.keep(
            session=session,
            who=who,
            storage=storage,
            model=MonthlyPhoto,
            name=name,
            content=content,
            kind=kind,
            about=_label(grid, park, month),
            report_id=report.id,
            uploaded_by=who.display_name[:40],
        )
        added.append(photo)
    return added


def get_photo(*, session: Session, who: Principal, photo_id: int) -> MonthlyPhoto:
    """A photo the principal may see (its report in view scope)."""
    photo = session.get(MonthlyPhoto, photo_id)
    if photo is None:
        raise NotFound
    permissions.get(session, who, "view", MonthlyReport, photo.report_id)
    return photo


def remove_photo(
    *, session: Session, who: Principal, photo_id: int
) -> tuple[MonthlyReport, MonthlyPhoto]:
    """Takes a photo off a report that can still change (the stored file may serve others)."""
    photo = session.get(MonthlyPhoto, photo_id)
    if photo is None:
        raise NotFound
    report = permissions.get(session, who, "change", MonthlyReport, photo.report_id)
    _editable(report)
    audit.record(
        session=session,
        who=who,
        action=AuditAction.delete,
        obj=photo,
        before=audit.snapshot(photo),
        label=photo.filename,
    )
    session.delete(photo)
    session.flush()
    return report, photo


# ---- sums for the assessment -------------------------------------------------------


def _confirmed_to_quarter(stmt, park_ids: list[int], year: int, quarter: int):
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"no quarter {quarter}")
    return (
        stmt.join(Grid, col(Grid.id) == col(MonthlyReport.grid_id))
        .where(
            col(Grid.park_id).in_(park_ids),
            MonthlyReport.year == year,
            col(MonthlyReport.month) <= 3 * quarter,
            MonthlyReport.state == MonthlyState.confirmed,
        )
        .group_by(col(Grid.park_id))
    )


def quarter_sums(
    *, session: Session, park_ids: list[int], year: int, quarter: int
) -> dict[int, dict[str, int]]:
    """Per park, its grids' confirmed figures summed from January to the quarter's last month.

    Only parks with at least one confirmed report in that range are present.
    """
    if not park_ids:
        return {}
    stmt = _confirmed_to_quarter(
        select(Grid.park_id, *[func.sum(getattr(MonthlyReport, f)) for f in FIGURES]),
        park_ids,
        year,
        quarter,
    )
    return {
        row[0]: {f: int(v or 0) for f, v in zip(FIGURES, row[1:], strict=True)}
        for row in session.exec(stmt)
    }


def reports_count(
    *, session: Session, park_ids: list[int], year: int, quarter: int
) -> dict[int, int]:
    """Per park, how many confirmed monthly reports `quarter_sums` adds up."""
    if not park_ids:
        return {}
    stmt = _confirmed_to_quarter(
        select(Grid.park_id, func.count(col(MonthlyReport.id))), park_ids, year, quarter
    )
    return {pid: int(n) for pid, n in session.exec(stmt)}


def sums_basis(n: int) -> str:
    """The basis text of a value summed from n confirmed reports (由 n 份已确认的网格月报汇总)."""
    return gettext(SUMS_BASIS).format(n=n)
