"""The audit table: one row per change of domain data, denied access or failed login."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.i18n import N_
from app.core.types import UTCDateTime, str_enum, utcnow


class AuditAction(enum.StrEnum):
    create = "create"
    update = "update"
    delete = "delete"
    denied = "denied"
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    imported = "import"
    download = "download"
    reveal = "reveal"


AUDIT_ACTION_LABELS = {
    AuditAction.create: N_("Created"),
    AuditAction.update: N_("Changed"),
    AuditAction.delete: N_("Deleted"),
    AuditAction.denied: N_("Access denied"),
    AuditAction.login: N_("Logged in"),
    AuditAction.login_failed: N_("Failed login"),
    AuditAction.logout: N_("Logged out"),
    AuditAction.imported: N_("Imported"),
    AuditAction.download: N_("Downloaded"),
    AuditAction.reveal: N_("Viewed a full number"),
}


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # Who: kept as text as well, so the row still says who after a user is renamed.
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    username: str = Field(default="", max_length=40)
    role: str = Field(default="", max_length=20)
    client_address: str = Field(default="", max_length=45)
    action: AuditAction = Field(sa_type=str_enum(AuditAction), index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = None
    object_label: str = Field(default="", max_length=120)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # Rows written by one bulk operation (an import) carry the id of its own audit row.
    batch_id: int | None = Field(default=None, index=True)
    # A refusal repeated by one user on one route within one minute is one row: `count`
    # attempts, the last at `last_at`. `fold_key` names that user, route and minute (NULL
    # on every other row); its unique index lets concurrent repeats meet in one row.
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    last_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fold_key: str | None = Field(default=None, max_length=200, index=True, unique=True)
