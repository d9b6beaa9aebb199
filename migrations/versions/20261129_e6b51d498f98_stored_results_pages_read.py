"""stored results pages read

Revision ID: e6b51d498f98
Revises: 4e1f6a9c2b7d
Create Date: 2026-11-29 05:06:42.277633
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e6b51d498f98"
down_revision: str | None = "4e1f6a9c2b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aspect_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("park_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("aspect_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("rank_city", sa.Integer(), nullable=False),
        sa.Column("rank_district", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["aspect_id"],
            ["aspect.id"],
            name=op.f("fk_aspect_score_aspect_id_aspect"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["area.id"], name=op.f("fk_aspect_score_district_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["park.id"], name=op.f("fk_aspect_score_park_id_park")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_aspect_score_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aspect_score")),
        sa.UniqueConstraint("park_id", "period_id", "aspect_id", name="uq_aspect_score"),
    )
    with op.batch_alter_table("aspect_score", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aspect_score_rank", ["period_id", "aspect_id", "rank_city"], unique=False
        )

    op.create_table(
        "district_aspect_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("aspect_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_district_aspect_score_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["aspect_id"],
            ["aspect.id"],
            name=op.f("fk_district_aspect_score_aspect_id_aspect"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["period.id"], name=op.f("fk_district_aspect_score_period_id_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_aspect_score")),
        sa.UniqueConstraint("area_id", "period_id", "aspect_id", name="uq_district_aspect_score"),
    )
    with op.batch_alter_table("district_aspect_score", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_district_aspect_score_area_id"), ["area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_district_aspect_score_aspect_id"), ["aspect_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_district_aspect_score_period_id"), ["period_id"], unique=False
        )

    # Stored scores are derived data, recomputed from the inputs: rather than guess the new
    # columns, they are emptied here and `parkgrid migrate` stores every period again.
    op.execute("DELETE FROM score")
    op.execute("DELETE FROM district_score")
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("late", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(
            "ix_score_period_district", ["period_id", "district_id", "rank_district"], unique=False
        )
        batch_op.create_index("ix_score_period_rank", ["period_id", "rank_city"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_score_district_id_area"), "area", ["district_id"], ["id"]
        )

    # Plain ALTERs (no table copy): other tables' foreign keys point at period.
    op.add_column(
        "period", sa.Column("results_version", sa.Integer(), nullable=False, server_default="0")
    )
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enterprise_totals", ["grid_id", "worker_count", "in_reform"], unique=False
        )


def downgrade() -> None:
    op.drop_column("period", "results_version")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_totals")

    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_score_district_id_area"), type_="foreignkey")
        batch_op.drop_index("ix_score_period_rank")
        batch_op.drop_index("ix_score_period_district")
        batch_op.drop_column("late")
        batch_op.drop_column("district_id")

    with op.batch_alter_table("district_aspect_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_district_aspect_score_period_id"))
        batch_op.drop_index(batch_op.f("ix_district_aspect_score_aspect_id"))
        batch_op.drop_index(batch_op.f("ix_district_aspect_score_area_id"))

    op.drop_table("district_aspect_score")
    with op.batch_alter_table("aspect_score", schema=None) as batch_op:
        batch_op.drop_index("ix_aspect_score_rank")

    op.drop_table("aspect_score")
