"""Variations, expiry decisions and termination

Revision ID: 0008
Revises: 0007
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Variations, expiry decisions and termination."""
    # The case table is referenced by most others: on SQLite it is not rebuilt (a batch
    # rebuild drops it, which its references forbid); SQLite adds a column with its reference.
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE "case" ADD COLUMN previous_case_id INTEGER REFERENCES "case" (id)')
    else:
        op.add_column("case", sa.Column("previous_case_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_case_previous_case_id_case", "case", "case", ["previous_case_id"], ["id"]
        )
    op.create_index(op.f("ix_case_previous_case_id"), "case", ["previous_case_id"], unique=False)

    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extension_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("termination_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("termination_notice_published_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("termination_notice_id", sa.String(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contract_end_date"), ["end_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_ended_on"), ["ended_on"], unique=False)

    op.create_table(
        "variation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("why", sa.String(), nullable=False),
        sa.Column("value_change_pence", sa.BigInteger(), nullable=False),
        sa.Column("new_end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("legal_because", sa.String(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("value_before_pence", sa.BigInteger(), nullable=True),
        sa.Column("value_after_pence", sa.BigInteger(), nullable=True),
        sa.Column("end_date_before", sa.Date(), nullable=True),
        sa.Column("end_date_after", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["proposed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "number"),
    )
    with op.batch_alter_table("variation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variation_case_id"), ["case_id"], unique=False)

    op.create_table(
        "variationapproval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variation_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["variation_id"], ["variation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("variation_id", "role"),
    )
    with op.batch_alter_table("variationapproval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variationapproval_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_variationapproval_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_variationapproval_variation_id"), ["variation_id"], unique=False
        )

    op.create_table(
        "expirydecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("new_end_date", sa.Date(), nullable=True),
        sa.Column("new_case_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["new_case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "end_date"),
    )
    with op.batch_alter_table("expirydecision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expirydecision_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    """Undo: variations, expiry decisions and termination."""
    with op.batch_alter_table("expirydecision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expirydecision_case_id"))
    op.drop_table("expirydecision")
    with op.batch_alter_table("variationapproval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variationapproval_variation_id"))
        batch_op.drop_index(batch_op.f("ix_variationapproval_status"))
        batch_op.drop_index(batch_op.f("ix_variationapproval_case_id"))
    op.drop_table("variationapproval")
    with op.batch_alter_table("variation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variation_case_id"))
    op.drop_table("variation")

    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_ended_on"))
        batch_op.drop_index(batch_op.f("ix_contract_end_date"))
        batch_op.drop_column("termination_notice_id")
        batch_op.drop_column("termination_notice_published_on")
        batch_op.drop_column("termination_reason")
        batch_op.drop_column("extension_until")

    op.drop_index(op.f("ix_case_previous_case_id"), table_name="case")
    if op.get_bind().dialect.name == "sqlite":
        op.execute('ALTER TABLE "case" DROP COLUMN previous_case_id')
    else:
        op.drop_constraint("fk_case_previous_case_id_case", "case", type_="foreignkey")
        op.drop_column("case", "previous_case_id")
