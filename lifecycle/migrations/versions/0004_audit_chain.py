"""Audit events are chained by hash, and anchored daily; the events already written are
chained as they stand.

Revision ID: 0004
Revises: 0003
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Audit events are chained by hash, and anchored daily."""
    op.create_table(
        "auditanchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(), nullable=True))
    _chain_existing_events()


def _chain_existing_events() -> None:
    """Seal the history written before chaining: each case's events, in order, are chained
    as they stand now. (The chain's hash is a format: lifecycle/chain.py must keep computing
    it this way for these rows to verify.)"""
    from lifecycle.chain import event_hash, genesis

    events = sa.table(
        "auditevent",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("actor_id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String()),
        sa.column("from_stage", sa.String()),
        sa.column("to_stage", sa.String()),
        sa.column("from_status", sa.String()),
        sa.column("to_status", sa.String()),
        sa.column("detail", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    bind = op.get_bind()
    heads: dict[int | None, str] = {}
    for row in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        prev = heads.get(row["case_id"]) or genesis(row["case_id"])
        digest = event_hash(
            prev,
            case_id=row["case_id"],
            actor_id=row["actor_id"],
            at=row["at"],
            action=row["action"],
            from_stage=row["from_stage"],
            to_stage=row["to_stage"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            detail=row["detail"] if row["detail"] is not None else {},
        )
        bind.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest)
        )
        heads[row["case_id"]] = digest


def downgrade() -> None:
    """Undo: no chain, no anchors."""
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

    op.drop_table("auditanchor")
