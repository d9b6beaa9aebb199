"""Tables of the roster import: a job per uploaded workbook, its file, and its findings."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.types import UTCDateTime, str_enum, utcnow


class ImportStatus(enum.StrEnum):
    checking = "checking"  # the file is being read and its rows checked
    checked = "checked"  # a preview without errors, waiting for confirmation
    invalid = "invalid"  # a preview with row errors: nothing can be applied
    applying = "applying"  # confirmed; being checked again and written
    applied = "applied"
    failed = "failed"  # refused (the roster changed meanwhile), crashed, or its worker died


IMPORT_STATUS_LABELS = {
    ImportStatus.checking: N_("Checking the rows"),
    ImportStatus.checked: N_("Checked: ready to import"),
    ImportStatus.invalid: N_("Has errors: nothing imported"),
    ImportStatus.applying: N_("Importing"),
    ImportStatus.applied: N_("Import done"),
    ImportStatus.failed: N_("Failed: nothing imported"),
}
RUNNING = frozenset({ImportStatus.checking, ImportStatus.applying})


class LineKind(enum.StrEnum):
    error = "error"
    change = "change"
    # Something the clerk should know that does not stop the import (rows taken from a
    # merged cell, hidden rows). Its value fits the column's six characters as they are.
    warning = "warn"


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_job"

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    username: str = Field(default="", max_length=40)
    filename: str = Field(max_length=200)
    size: int = 0
    sha256: str = Field(max_length=64)
    status: ImportStatus = Field(sa_type=str_enum(ImportStatus), index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A running job belongs to the process that claimed it ("host:pid:start-token"), for as
    # long as its lease runs; the worker renews the lease with each progress step. A running
    # job whose lease ran out, or whose process on this host has ended, was interrupted.
    worker: str = Field(default="", max_length=200)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rows_total: int = 0
    rows_done: int = 0
    # Per sheet: {"enterprises": {"new": 3, "updated": 1, "unchanged": 90, "error": 2}, ...}
    counts: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    errors: int = 0
    # The SHA-256 of the previewed plan: confirmation applies it only if it still holds.
    digest: str = Field(default="", max_length=64)
    message: str = Field(default="", max_length=500)
    # The audit row of the applied import; its changes share it as their batch.
    audit_id: int | None = None


class ImportFile(SQLModel, table=True):
    """The uploaded workbook, kept with its job so any worker can check and apply it."""

    __tablename__ = "import_file"

    job_id: int = Field(foreign_key="import_job.id", primary_key=True)
    content: bytes = Field(sa_type=sa.LargeBinary)


class ImportLine(SQLModel, table=True):
    """One finding of a check: an error in a cell, a warning, or the change a row would make."""

    __tablename__ = "import_line"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_job.id", index=True)
    kind: LineKind = Field(sa_type=str_enum(LineKind))
    sheet: str = Field(max_length=31)
    row: int
    column: str = Field(default="", max_length=3)  # the Excel column letter, "" for a row
    field: str = Field(default="", max_length=40)
    message: str = Field(max_length=500)
