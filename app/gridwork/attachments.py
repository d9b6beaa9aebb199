"""Files kept with grid work (monthly reports' photos, notices' attachments): one check of an
upload and one way to store it and write its row, so both kinds of file stay alike."""

from pathlib import Path
from typing import TypeVar

from sqlmodel import Session, SQLModel

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core import files
from app.core.i18n import _
from app.core.permissions import Principal


def problem(content: bytes, max_bytes: int, kind: files.Kind | None, refused: str) -> str:
    """What is wrong with an upload ("" when nothing is); `refused` names the accepted kinds."""
    if not content:
        return _("The file is empty.")
    if len(content) > max_bytes:
        return _("The file is larger than {n} MB.").format(n=max_bytes // (1024 * 1024))
    if kind is None:
        return refused
    return ""


Row = TypeVar("Row", bound=SQLModel)


def keep(
    *,
    session: Session,
    who: Principal,
    storage: files.Storage,
    model: type[Row],
    name: str,
    content: bytes,
    kind: files.Kind,
    about: str = "",
    **values,
) -> Row:
    """Stores a checked file under its hash and adds its row (`values` and the file's facts),
    audited as created with its file name, after `about` when given.

    Stored under its hash, a file left behind by a failed request is harmless.
    """
    stored = storage.put(content, kind)
    row = model(
        filename=Path(name).name[:200],
        stored_name=stored.stored_name,
        content_type=kind.content_type,
        size=stored.size,
        sha256=stored.sha256,
        **values,
    )
    session.add(row)
    label = f"{about} {row.filename}" if about else row.filename
    audit.record(session=session, who=who, action=AuditAction.create, obj=row, label=label)
    return row
