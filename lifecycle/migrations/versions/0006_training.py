"""Training records and training needs

Revision ID: 0006
Revises: 0005
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Training records and training needs."""
    op.create_table(
        "trainingrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trainingrecord", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trainingrecord_user_id"), ["user_id"], unique=False)

    op.create_table(
        "trainingneed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("why", sa.String(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trainingneed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trainingneed_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_trainingneed_manager_id"), ["manager_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_trainingneed_met_at"), ["met_at"], unique=False)


def downgrade() -> None:
    """Undo: no training records or needs."""
    with op.batch_alter_table("trainingneed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainingneed_met_at"))
        batch_op.drop_index(batch_op.f("ix_trainingneed_manager_id"))
        batch_op.drop_index(batch_op.f("ix_trainingneed_case_id"))

    op.drop_table("trainingneed")
    with op.batch_alter_table("trainingrecord", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainingrecord_user_id"))

    op.drop_table("trainingrecord")
