"""Contracts imported from an existing register

Revision ID: 0010
Revises: 0009
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Contracts imported from an existing register: the register entry keeps the contract's
    own reference there, and a contract's signing dates may be unknown."""
    with op.batch_alter_table("registerentry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_reference", sa.String(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_registerentry_source_reference"), ["source_reference"], unique=True
        )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.alter_column("supplier_signed_on", existing_type=sa.Date(), nullable=True)
        batch_op.alter_column("council_signed_on", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    """Undo: contracts imported from an existing register. Imported contracts with unknown
    signing dates cannot go back to a schema that requires them, so downgrade refuses then."""
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.alter_column("council_signed_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("supplier_signed_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("registerentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registerentry_source_reference"))
        batch_op.drop_column("source_reference")
