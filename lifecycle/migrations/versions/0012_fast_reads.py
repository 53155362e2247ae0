"""Indexes and columns for reads at the floor

Revision ID: 0012
Revises: 0011
Created: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Indexes and columns for reads at the floor: the register in its own order."""
    with op.batch_alter_table("registerentry", schema=None) as batch_op:
        batch_op.create_index("ix_registerentry_reference_id", ["reference", "id"], unique=False)


def downgrade() -> None:
    """Undo: indexes and columns for reads at the floor."""
    with op.batch_alter_table("registerentry", schema=None) as batch_op:
        batch_op.drop_index("ix_registerentry_reference_id")
