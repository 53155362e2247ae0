"""Contract KPIs, their results in reviews, and the yearly assessments

Revision ID: 0007
Revises: 0006
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Contract KPIs, their results in reviews, and the yearly assessments."""
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fewer_kpis_reason", sa.String(), nullable=True))
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_assessment_due", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_contract_next_assessment_due"), ["next_assessment_due"], unique=False
        )

    op.create_table(
        "kpi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("measure", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "name"),
    )
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_case_id"), ["case_id"], unique=False)

    op.create_table(
        "kpiresult",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("rating", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["kpi_id"], ["kpi.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "kpi_id"),
    )
    with op.batch_alter_table("kpiresult", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpiresult_kpi_id"), ["kpi_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kpiresult_review_id"), ["review_id"], unique=False)

    op.create_table(
        "kpiassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rating", sa.String(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("assessed_by", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessed_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["kpi_id"], ["kpi.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kpi_id", "period_end"),
    )
    with op.batch_alter_table("kpiassessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpiassessment_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kpiassessment_kpi_id"), ["kpi_id"], unique=False)


def downgrade() -> None:
    """Undo: no contract KPIs, results or assessments."""
    with op.batch_alter_table("kpiassessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpiassessment_kpi_id"))
        batch_op.drop_index(batch_op.f("ix_kpiassessment_case_id"))
    op.drop_table("kpiassessment")
    with op.batch_alter_table("kpiresult", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpiresult_review_id"))
        batch_op.drop_index(batch_op.f("ix_kpiresult_kpi_id"))
    op.drop_table("kpiresult")
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_case_id"))
    op.drop_table("kpi")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_next_assessment_due"))
        batch_op.drop_column("next_assessment_due")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("fewer_kpis_reason")
