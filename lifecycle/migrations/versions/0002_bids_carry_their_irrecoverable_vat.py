"""Bids carry their irrecoverable VAT, so the register takes value and VAT from one source
(the awarded bid).

Revision ID: 0002
Revises: 0001
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Bids carry their irrecoverable VAT."""
    with op.batch_alter_table("bid", schema=None) as batch_op:
        # Bids recorded before this revision stated no VAT apart from their price: none.
        batch_op.add_column(
            sa.Column(
                "irrecoverable_vat_pence", sa.BigInteger(), nullable=False, server_default="0"
            )
        )


def downgrade() -> None:
    """Undo: bids carry no VAT of their own."""
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.drop_column("irrecoverable_vat_pence")
