"""Variation approvals given for a colleague away, by a delegation in force.

Revision ID: 0014
Revises: 0013
Created: 2026-12-06 17:23:31
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Variation approvals given for a colleague away, by a delegation in force."""
    with op.batch_alter_table("variationapproval", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_for", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_variationapproval_decided_for_user", "user", ["decided_for"], ["id"]
        )


def downgrade() -> None:
    """Undo: variation approvals given for a colleague by delegation."""
    with op.batch_alter_table("variationapproval", schema=None) as batch_op:
        batch_op.drop_constraint("fk_variationapproval_decided_for_user", type_="foreignkey")
        batch_op.drop_column("decided_for")
