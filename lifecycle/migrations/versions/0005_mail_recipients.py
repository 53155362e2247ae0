"""Each mail's recipients are indexed, a row each, so one person's mail is found by index;
the mail already in the outbox is indexed too.

Revision ID: 0005
Revises: 0004
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Each mail's recipients are indexed."""
    op.create_table(
        "mailrecipient",
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["mail.id"],
        ),
        sa.PrimaryKeyConstraint("mail_id", "address"),
    )
    with op.batch_alter_table("mailrecipient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailrecipient_address"), ["address"], unique=False)
    _index_existing_mail()


def _index_existing_mail() -> None:
    """Every mail already queued or sent gets its recipients' rows."""
    mail = sa.table("mail", sa.column("id", sa.Integer()), sa.column("recipients", sa.JSON()))
    recipients = sa.table(
        "mailrecipient", sa.column("mail_id", sa.Integer()), sa.column("address", sa.String())
    )
    bind = op.get_bind()
    rows = [
        {"mail_id": mail_id, "address": address}
        for mail_id, addresses in bind.execute(sa.select(mail.c.id, mail.c.recipients))
        for address in sorted(set(addresses or []))
    ]
    if rows:
        bind.execute(recipients.insert(), rows)


def downgrade() -> None:
    """Undo: no index of recipients."""
    with op.batch_alter_table("mailrecipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mailrecipient_address"))

    op.drop_table("mailrecipient")
