"""logins, passwords and folded refusals

Revision ID: b7d2e5a91c34
Revises: e6b51d498f98
Create Date: 2026-12-04 02:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e5a91c34"
down_revision: str | None = "e6b51d498f98"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The newest passwords of each user, which may not be chosen again.
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_password_history_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    with op.batch_alter_table("password_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_history_user_id"), ["user_id"], unique=False)

    # Failed logins since the last successful one, told to the owner at the next login.
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins_before", sa.Integer(), nullable=False, server_default="0")
        )

    # Throttling counts per (account, address) pair.
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_login_failure_pair", ["username", "client_address", "at"], unique=False
        )

    # Repeated refusals fold into one row per user, route and minute. Existing rows are
    # single events: count 1, no fold key.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("fold_key", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_fold_key"), ["fold_key"], unique=True)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch would copy app_user and drop the original,
    # which the tables that refer to it do not allow.
    op.drop_index(op.f("ix_audit_log_fold_key"), table_name="audit_log")
    for column in ("fold_key", "last_at", "count"):
        op.drop_column("audit_log", column)
    op.drop_index("ix_login_failure_pair", table_name="login_failure")
    op.drop_column("user_session", "failed_logins_before")
    op.drop_column("app_user", "last_login_at")
    op.drop_column("app_user", "failed_logins")
    op.drop_index(op.f("ix_password_history_user_id"), table_name="password_history")
    op.drop_table("password_history")
