"""Tables of accounts: users, their scope, their sessions, failed logins, past passwords."""

import enum
import re
from datetime import datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from app.core.i18n import N_, _
from app.core.types import UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    city_admin = "city_admin"
    district_office = "district_office"
    park_admin = "park_admin"
    grid_liaison = "grid_liaison"
    leader = "leader"


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=40)
    role: Role = Field(sa_type=str_enum(Role))
    # The liaison person a grid liaison's account belongs to.
    liaison_id: int | None = Field(default=None, foreign_key="liaison.id", index=True)
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Failed logins on this account since its last successful one: the owner is told at
    # the next login (a throttle's rows expire or are cleared by an unlock; this is not).
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserScope(SQLModel, table=True):
    """One place a user's scope covers, with everything below it: an area, a park or a grid."""

    __tablename__ = "user_scope"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN area_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN park_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN grid_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_place",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    park_id: int | None = Field(default=None, foreign_key="park.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)


class UserSession(SQLModel, table=True):
    """A login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_address: str = Field(default="", max_length=45)
    # How many failed logins the account had between the previous login and this one,
    # shown to the owner once this session starts.
    failed_logins_before: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class LoginFailure(SQLModel, table=True):
    """A failed login, counted per (account, address) pair and per address to throttle guessing."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_pair", "username", "client_address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=40, index=True)
    client_address: str = Field(max_length=45, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class PasswordHistory(SQLModel, table=True):
    """A password a user has had (its Argon2 hash): the newest few may not be chosen again."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    password_hash: str = Field(max_length=200)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# Input shapes. Scope places are written "area:ID", "park:ID" or "grid:ID".
USER_LABELS = {
    "username": N_("Username"),
    "display_name": N_("Name"),
    "role": N_("Role"),
    "scope": N_("Scope"),
    "password": N_("Password"),
    "liaison_id": N_("Liaison"),
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "confirm_password": N_("New password again"),
}


class UserUpdate(SQLModel):
    display_name: str = Field(min_length=1, max_length=40)
    role: Role
    scope: list[str] = Field(min_length=1)
    liaison_id: int | None = None


USERNAME = re.compile(r"^[a-z0-9_.\-]+$")


class UserCreate(UserUpdate):
    username: str = Field(min_length=3, max_length=40)
    password: str = Field(min_length=1, max_length=200)

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not USERNAME.match(v):
            raise ValueError(_("use lower-case letters, digits, dot, dash and underscore only."))
        return v
