"""Mail rows carry a dispatcher's claim

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Mail rows carry a dispatcher's claim"""
    with op.batch_alter_table("mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_mail_claimed_until"), ["claimed_until"], unique=False)


def downgrade() -> None:
    """Undo mail rows carry a dispatcher's claim"""
    with op.batch_alter_table("mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_claimed_until"))
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
