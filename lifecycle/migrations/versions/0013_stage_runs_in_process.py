"""Stage runs executed in long-lived processes

Revision ID: 0013
Revises: 0012
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Stage runs executed in long-lived processes: a priority and an executor's claim."""
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_flowrequest_due", ["status", "priority", "not_before"])


def downgrade() -> None:
    """Undo: stage runs executed in long-lived processes."""
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.drop_index("ix_flowrequest_due")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("priority")
