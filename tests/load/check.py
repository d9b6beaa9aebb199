"""After the run: is every acknowledged write in the database, audited, versions unbroken?"""

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from app.assessment.models import IndicatorValue, ParkReport
from app.audit.models import AuditAction, AuditLog
from app.core.db import make_engine
from app.geo.models import Grid
from app.gridwork.models import MonthlyReport
from app.imports.models import ImportJob, ImportStatus
from tests.load.ledger import Ledger, Write
from tests.load.prepare import Plan

# An import job in one of these states at rest was cut off halfway.
UNFINISHED_IMPORTS = (ImportStatus.checking, ImportStatus.applying)


@dataclass
class Findings:
    lost_writes: int = 0  # acknowledged writes missing from the database, or overwritten
    lost: list[str] = field(default_factory=list)  # what was lost, in words
    problems: list[str] = field(default_factory=list)  # versions, audit rows, stored values
    lines: list[str] = field(default_factory=list)  # what was checked, object by object


def _trail(session: Session, plan: Plan, object_type: str, object_id: int | None) -> list:
    """The object's audit rows written during the run, oldest first."""
    if object_id is None:
        return []
    return list(
        session.exec(
            select(AuditLog)
            .where(
                AuditLog.id > plan.audit_start,
                AuditLog.object_type == object_type,
                AuditLog.object_id == object_id,
            )
            .order_by(col(AuditLog.id))
        )
    )


def _versioned(
    found: Findings,
    label: str,
    writes: list[Write],
    initial: int,
    final: int,
    landed: list[tuple[int, str]],
    stored: str | None,
) -> None:
    """Checks the saves of one versioned object against what landed.

    `landed` holds (version made, token) for every save the audit trail shows (token "" for
    audited changes that carry none, such as state changes), `stored` the token the object
    holds now. Each acknowledged save must have landed, exactly once, as the version after
    the one its form was read at; the versions must run from `initial` + 1 to `final` with no
    gap and no repeat; the object must hold what the last of them wrote.
    """
    at = {}
    for version, tok in landed:
        if tok:
            at.setdefault(tok, []).append(version)
    outcomes = Counter(w.outcome for w in writes)
    for w in writes:
        versions = at.get(w.token, [])
        if w.outcome == "acknowledged" and not versions:
            found.lost_writes += 1
            found.lost.append(
                f"{label}: {w.username}'s save on version {w.version} was answered "
                f"{w.status} but is not in the database's audit trail"
            )
        if versions and w.outcome in ("refused", "failed"):
            found.problems.append(
                f"{label}: a save answered {w.status} landed anyway (version {versions[0]})"
            )
        if len(versions) > 1:
            found.problems.append(f"{label}: one save landed {len(versions)} times: {versions}")
        if versions and w.version is not None and versions[0] != w.version + 1:
            found.problems.append(
                f"{label}: a save read at version {w.version} landed as version {versions[0]} "
                f"(it overwrote changes it never saw)"
            )
    made = sorted(v for v, _tok in landed)
    repeated = {v: n for v, n in Counter(made).items() if n > 1}
    for version, n in sorted(repeated.items()):
        # Saves that made the same version each overwrote the other without seeing it: all
        # but one are lost updates, though each was told it was saved.
        found.lost_writes += n - 1
        found.lost.append(
            f"{label}: {n} saves landed as version {version}; {n - 1} of them overwritten "
            f"by a save that never saw them"
        )
    expected = list(range(initial + 1, final + 1))
    if made != expected:
        missing = sorted(set(expected) - set(made))
        found.problems.append(
            f"{label}: versions {initial + 1}..{final} expected once each in the trail; "
            f"missing {missing[:10]}, repeated {sorted(repeated)[:10]}, found {len(made)}"
        )
    with_token = [(v, t) for v, t in landed if t]
    if with_token and max(with_token)[0] not in repeated and stored != max(with_token)[1]:
        found.problems.append(
            f"{label}: holds {stored!r}, not what its last save (version "
            f"{max(with_token)[0]}) wrote: {max(with_token)[1]!r}"
        )
    # Saves without an answer (timed out, cut off at the end) may or may not have landed.
    unanswered = sum(1 for w in writes if w.outcome == "unknown" and w.token in at)
    others = sum(1 for _v, t in landed if not t)
    if final != initial + outcomes["acknowledged"] + unanswered + others:
        found.problems.append(
            f"{label}: final version {final}, expected {initial} + {outcomes['acknowledged']} "
            f"acknowledged + {unanswered} unanswered that landed + {others} other changes"
        )
    found.lines.append(
        f"{label}: version {initial} → {final}; saves acknowledged "
        f"{outcomes['acknowledged']}, 409/4xx {outcomes['refused']}, 5xx {outcomes['failed']}, "
        f"unanswered {outcomes['unknown']} (landed {unanswered}), other changes {others}"
    )


def _grid(session: Session, plan: Plan, ledger: Ledger, found: Findings) -> None:
    grid = session.get(Grid, plan.grid_id)
    landed = [
        (row.after["status_version"], row.after["status_note"])
        for row in _trail(session, plan, "Grid", grid.id)
        if row.action is AuditAction.update and row.after
    ]
    _versioned(
        found,
        f"grid {grid.id} status",
        ledger.of("grid_status"),
        plan.grid_version,
        grid.status_version,
        landed,
        grid.status_note,
    )


def _monthly(session: Session, plan: Plan, ledger: Ledger, found: Findings) -> None:
    year, month = (int(x) for x in plan.month.split("-"))
    report = session.exec(
        select(MonthlyReport).where(
            MonthlyReport.grid_id == plan.grid_id,
            MonthlyReport.year == year,
            MonthlyReport.month == month,
        )
    ).first()
    landed = [
        (row.after["version"], row.after["notes"])
        for row in _trail(session, plan, "MonthlyReport", report.id if report else None)
        if row.after
    ]
    _versioned(
        found,
        f"grid {plan.grid_id} monthly report {plan.month}",
        ledger.of("monthly"),
        plan.month_version,
        report.version if report else 0,
        landed,
        report.notes if report else None,
    )


def _shared_report(session: Session, plan: Plan, ledger: Ledger, found: Findings) -> None:
    """The report the park administrators saved at once.

    A save moves the report's version without an audit row of the report (its values have
    their own), so a save's version is the one its form carried plus one, and whether it
    landed is told by its token in the audit row of the value whose note it wrote.
    """
    shared = plan.shared
    report = session.get(ParkReport, shared.report_id)
    value = session.exec(
        select(IndicatorValue).where(
            IndicatorValue.park_id == report.park_id,
            IndicatorValue.period_id == report.period_id,
            IndicatorValue.indicator_id == plan.note_indicator_id,
        )
    ).first()
    notes = {
        row.after.get("note")
        for row in _trail(session, plan, "IndicatorValue", value.id if value else None)
        if row.after
    }
    writes = ledger.of("report_save")
    landed = [(w.version + 1, w.token) for w in writes if w.token in notes]
    landed += [
        (row.after["version"], "")
        for row in _trail(session, plan, "ParkReport", report.id)
        if row.after and "version" in row.after
    ]
    _versioned(
        found,
        f"park {shared.park_id} report {shared.period}",
        writes,
        shared.version,
        report.version,
        landed,
        value.note if value else None,
    )


def _approvals(session: Session, plan: Plan, ledger: Ledger, found: Findings) -> None:
    for target in plan.approvals:
        report = session.get(ParkReport, target.report_id)
        label = f"park {target.park_id} report {target.period} approval"
        trail = _trail(session, plan, "ParkReport", report.id)
        approved = [r for r in trail if r.after and r.after.get("state") == "approved"]
        writes = ledger.of("approve", (target.report_id,))
        acknowledged = [w for w in writes if w.outcome == "acknowledged"]
        if len(acknowledged) > 1:
            found.problems.append(f"{label}: approved {len(acknowledged)} times (only one can)")
        for w in acknowledged:
            if not any(r.after.get("version") == w.version + 1 for r in approved):
                found.lost_writes += 1
                found.lost.append(f"{label}: acknowledged ({w.status}) but not in the trail")
        if approved and report.state.value != "approved":
            found.problems.append(f"{label}: the trail says approved, the report is {report.state}")
        made = sorted(r.after.get("version") for r in trail if r.after)
        if made != list(range(target.version + 1, report.version + 1)):
            found.problems.append(
                f"{label}: versions {target.version + 1}..{report.version} expected in the "
                f"trail, found {made}"
            )
        outcomes = Counter(w.outcome for w in writes)
        found.lines.append(
            f"{label}: {report.state.value}, version {target.version} → {report.version}; "
            f"approvals acknowledged {outcomes['acknowledged']}, refused "
            f"{outcomes['refused']}, failed {outcomes['failed']}, no answer "
            f"{outcomes['unknown']}"
        )


def _logins(session: Session, plan: Plan, ledger: Ledger, found: Findings) -> None:
    audited = dict(
        session.exec(
            select(AuditLog.username, func.count(col(AuditLog.id)))
            .where(AuditLog.id > plan.audit_start, AuditLog.action == AuditAction.login)
            .group_by(col(AuditLog.username))
        ).all()
    )
    acknowledged = Counter(w.username for w in ledger.of("login") if w.outcome == "acknowledged")
    for username, n in sorted(acknowledged.items()):
        rows = audited.get(username, 0)
        if rows < n:
            found.lost_writes += n - rows
            found.lost.append(f"logins of {username}: {n} acknowledged, {rows} in the audit trail")
    found.lines.append(
        "logins: "
        + ", ".join(
            f"{u} {n} acknowledged / {audited.get(u, 0)} audited"
            for u, n in sorted(acknowledged.items())
        )
    )


def _imports(session: Session, found: Findings) -> None:
    stuck = session.exec(
        select(ImportJob.id, ImportJob.status).where(col(ImportJob.status).in_(UNFINISHED_IMPORTS))
    ).all()
    for job_id, status in stuck:
        found.problems.append(f"import job {job_id} left half-done ({status.value})")
    found.lines.append(f"import jobs left half-done: {len(stuck)}")


def check(url: str, plan: Plan, ledger: Ledger) -> Findings:
    """Reads the database after the run (reads only: never waits on a writer's lock)."""
    found = Findings()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            _grid(session, plan, ledger, found)
            _monthly(session, plan, ledger, found)
            _shared_report(session, plan, ledger, found)
            _approvals(session, plan, ledger, found)
            _logins(session, plan, ledger, found)
            _imports(session, found)
    finally:
        engine.dispose()
    return found
