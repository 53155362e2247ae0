"""Handovers of contracts and delegations of gates

Revision ID: 0009
Revises: 0008
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Handovers of contracts and delegations of gates."""
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delegator_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["delegate_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["delegator_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delegation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delegation_delegate_id"), ["delegate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delegation_delegator_id"), ["delegator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delegation_ends_on"), ["ends_on"], unique=False)

    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_for", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_gate_decided_for_user", "user", ["decided_for"], ["id"])


def downgrade() -> None:
    """Undo: handovers of contracts and delegations of gates."""
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_constraint("fk_gate_decided_for_user", type_="foreignkey")
        batch_op.drop_column("decided_for")

    with op.batch_alter_table("delegation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delegation_ends_on"))
        batch_op.drop_index(batch_op.f("ix_delegation_delegator_id"))
        batch_op.drop_index(batch_op.f("ix_delegation_delegate_id"))

    op.drop_table("delegation")
