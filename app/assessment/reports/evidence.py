"""Evidence files (佐证材料): checked, stored under their hash, served to those in scope."""

from pathlib import Path

from sqlmodel import Session

from app.assessment.models import Evidence, IndicatorValue, Period
from app.assessment.reports import service as reports
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import files, permissions
from app.core.errors import Conflict, Invalid, NotFound
from app.core.i18n import _
from app.core.permissions import Principal
from app.geo.models import Park

# What reports accept as evidence, known by content (see app.core.files).
KINDS = files.DOCUMENTS
kind_of = files.kind_of
path_of = files.path_of


def add(
    *,
    session: Session,
    who: Principal,
    storage: files.Storage,
    max_bytes: int,
    park_id: int,
    period: Period,
    indicator_id: int,
    filename: str,
    content: bytes,
) -> Evidence:
    """Attaches a file to a reported value of an editable report."""
    permissions.get(session, who, "report", Park, park_id)
    view = reports.load(session=session, who=who, park_id=park_id, period=period)
    if not view.editable:
        raise Conflict(_("Evidence can be added only while the report can be edited."))
    row = next((r for r in view.rows if r.indicator.id == indicator_id and not r.computed), None)
    if row is None:
        raise NotFound
    field = f"file_{indicator_id}"
    if row.value is None:
        raise Invalid({field: _("Save a value for this indicator before adding its evidence.")})
    if not content:
        raise Invalid({field: _("The file is empty.")})
    if len(content) > max_bytes:
        raise Invalid(
            {field: _("The file is larger than {n} MB.").format(n=max_bytes // (1024 * 1024))}
        )
    kind = kind_of(filename, content)
    if kind is None:
        raise Invalid(
            {field: _("Only PDF, JPG, PNG, Word (.docx) and Excel (.xlsx) files are accepted.")}
        )
    stored = storage.put(content, kind)
    evidence = Evidence(
        value_id=row.value.id,
        filename=Path(filename).name[:200],
        stored_name=stored.stored_name,
        content_type=kind.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=who.username,
    )
    session.add(evidence)
    audit.record(
        session=session, who=who, action=AuditAction.create, obj=evidence, label=evidence.filename
    )
    return evidence


def get(*, session: Session, who: Principal, evidence_id: int) -> tuple[Evidence, IndicatorValue]:
    """An evidence file the principal may see (its park in view scope)."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound
    value = session.get(IndicatorValue, evidence.value_id)
    permissions.get(session, who, "view", Park, value.park_id)
    return evidence, value


def remove(*, session: Session, who: Principal, evidence_id: int) -> None:
    """Detaches a file from a value of an editable report (the stored file may serve others)."""
    evidence, value = get(session=session, who=who, evidence_id=evidence_id)
    permissions.get(session, who, "report", Park, value.park_id)
    period = session.get(Period, value.period_id)
    if not reports.load(session=session, who=who, park_id=value.park_id, period=period).editable:
        raise Conflict(_("Evidence can be removed only while the report can be edited."))
    audit.record(
        session=session,
        who=who,
        action=AuditAction.delete,
        obj=evidence,
        before=audit.snapshot(evidence),
    )
    session.delete(evidence)
