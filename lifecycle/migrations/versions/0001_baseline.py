"""The schema as it stood when migrations began. A database made before then (every table created
at start) is brought to this revision by creating only the tables it lacks.

Revision ID: 0001
Revises: (none: the first)
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The schema as it stood when migrations began"""
    # A database made before migrations has most of these already (and may lack the newest):
    # only what is missing is created, so such a database is brought to this revision too.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "assurancesnapshot" not in existing:
        op.create_table(
            "assurancesnapshot",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("month", sa.String(), nullable=False),
            sa.Column("measure", sa.String(), nullable=False),
            sa.Column("met", sa.Integer(), nullable=False),
            sa.Column("of", sa.Integer(), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("month", "measure"),
        )

    if "assurancesnapshot" not in existing:
        with op.batch_alter_table("assurancesnapshot", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_assurancesnapshot_month"), ["month"], unique=False)

    if "referencecounter" not in existing:
        op.create_table(
            "referencecounter",
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("last", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("year"),
        )

    if "signinfailure" not in existing:
        op.create_table(
            "signinfailure",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("subject", sa.String(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )

    if "signinfailure" not in existing:
        with op.batch_alter_table("signinfailure", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_signinfailure_at"), ["at"], unique=False)
            batch_op.create_index(batch_op.f("ix_signinfailure_subject"), ["subject"], unique=False)

    if "user" not in existing:
        op.create_table(
            "user",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(), nullable=False),
            sa.Column("email", sa.String(), nullable=False),
            sa.Column("roles", sa.String(), nullable=False),
            sa.Column("token_hash", sa.String(), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )

    if "user" not in existing:
        with op.batch_alter_table("user", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_user_email"), ["email"], unique=True)
            batch_op.create_index(batch_op.f("ix_user_token_hash"), ["token_hash"], unique=True)

    if "case" not in existing:
        op.create_table(
            "case",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("reference", sa.String(), nullable=False),
            sa.Column("ocid", sa.String(), nullable=False),
            sa.Column("title", sa.String(), nullable=False),
            sa.Column("description", sa.String(), nullable=False),
            sa.Column("category", sa.String(), nullable=False),
            sa.Column("light_touch", sa.Boolean(), nullable=False),
            sa.Column("department", sa.String(), nullable=False),
            sa.Column("estimated_value_pence", sa.BigInteger(), nullable=False),
            sa.Column("irrecoverable_vat_pence", sa.BigInteger(), nullable=False),
            sa.Column("needed_by", sa.Date(), nullable=False),
            sa.Column("contract_required", sa.Boolean(), nullable=False),
            sa.Column("route", sa.String(), nullable=False),
            sa.Column("contract", sa.Boolean(), nullable=False),
            sa.Column("stage", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("outcome", sa.String(), nullable=True),
            sa.Column("requester_id", sa.Integer(), nullable=False),
            sa.Column("contract_manager_id", sa.Integer(), nullable=True),
            sa.Column("contract_type", sa.String(), nullable=True),
            sa.Column("key_contract", sa.Boolean(), nullable=False),
            sa.Column("awarded_bid_id", sa.Integer(), nullable=True),
            sa.Column("award_rationale", sa.String(), nullable=True),
            sa.Column("award_notice_published_on", sa.Date(), nullable=True),
            sa.Column("standstill_last_day", sa.Date(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["contract_manager_id"],
                ["user.id"],
            ),
            sa.ForeignKeyConstraint(
                ["requester_id"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("ocid"),
        )

    if "case" not in existing:
        with op.batch_alter_table("case", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_case_contract_manager_id"), ["contract_manager_id"], unique=False
            )
            batch_op.create_index(batch_op.f("ix_case_reference"), ["reference"], unique=True)
            batch_op.create_index(
                batch_op.f("ix_case_requester_id"), ["requester_id"], unique=False
            )
            batch_op.create_index(batch_op.f("ix_case_stage"), ["stage"], unique=False)
            batch_op.create_index(batch_op.f("ix_case_status"), ["status"], unique=False)

    if "invitation" not in existing:
        op.create_table(
            "invitation",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("invited_by", sa.Integer(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["invited_by"],
                ["user.id"],
            ),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "invitation" not in existing:
        with op.batch_alter_table("invitation", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_invitation_token_hash"), ["token_hash"], unique=True
            )
            batch_op.create_index(batch_op.f("ix_invitation_user_id"), ["user_id"], unique=False)

    if "password" not in existing:
        op.create_table(
            "password",
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("hash", sa.String(), nullable=False),
            sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("user_id"),
        )

    if "websession" not in existing:
        op.create_table(
            "websession",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("csrf_token", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("flash", sa.String(), nullable=True),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "websession" not in existing:
        with op.batch_alter_table("websession", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_websession_token_hash"), ["token_hash"], unique=True
            )
            batch_op.create_index(batch_op.f("ix_websession_user_id"), ["user_id"], unique=False)

    if "auditevent" not in existing:
        op.create_table(
            "auditevent",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=True),
            sa.Column("actor_id", sa.Integer(), nullable=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("action", sa.String(), nullable=False),
            sa.Column("from_stage", sa.String(), nullable=True),
            sa.Column("to_stage", sa.String(), nullable=True),
            sa.Column("from_status", sa.String(), nullable=True),
            sa.Column("to_status", sa.String(), nullable=True),
            sa.Column("detail", sa.JSON(), nullable=False),
            sa.ForeignKeyConstraint(
                ["actor_id"],
                ["user.id"],
            ),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "auditevent" not in existing:
        with op.batch_alter_table("auditevent", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_auditevent_case_id"), ["case_id"], unique=False)

    if "bid" not in existing:
        op.create_table(
            "bid",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("supplier_name", sa.String(), nullable=False),
            sa.Column("registration_number", sa.String(), nullable=True),
            sa.Column("sme", sa.Boolean(), nullable=False),
            sa.Column("vcse", sa.Boolean(), nullable=False),
            sa.Column("price_pence", sa.BigInteger(), nullable=False),
            sa.Column("score", sa.Integer(), nullable=True),
            sa.Column("created_by", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.ForeignKeyConstraint(
                ["created_by"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "bid" not in existing:
        with op.batch_alter_table("bid", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_bid_case_id"), ["case_id"], unique=False)

    if "contract" not in existing:
        op.create_table(
            "contract",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("start_date", sa.Date(), nullable=False),
            sa.Column("end_date", sa.Date(), nullable=False),
            sa.Column("supplier_signed_on", sa.Date(), nullable=False),
            sa.Column("council_signed_on", sa.Date(), nullable=False),
            sa.Column("late_signing_reason", sa.String(), nullable=True),
            sa.Column("ended_on", sa.Date(), nullable=True),
            sa.Column("exit_reason", sa.String(), nullable=True),
            sa.Column("next_review_due", sa.Date(), nullable=True),
            sa.Column("recorded_by", sa.Integer(), nullable=False),
            sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.ForeignKeyConstraint(
                ["recorded_by"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("case_id"),
        )

    if "document" not in existing:
        op.create_table(
            "document",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("document_type", sa.String(), nullable=False),
            sa.Column("title", sa.String(), nullable=False),
            sa.Column("filename", sa.String(), nullable=False),
            sa.Column("content_type", sa.String(), nullable=False),
            sa.Column("size_bytes", sa.Integer(), nullable=False),
            sa.Column("sha256", sa.String(), nullable=False),
            sa.Column("uploaded_by", sa.Integer(), nullable=False),
            sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.ForeignKeyConstraint(
                ["uploaded_by"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("case_id", "sha256", "document_type"),
        )

    if "document" not in existing:
        with op.batch_alter_table("document", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_document_case_id"), ["case_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_document_sha256"), ["sha256"], unique=False)

    if "flag" not in existing:
        op.create_table(
            "flag",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("code", sa.String(), nullable=False),
            sa.Column("message", sa.String(), nullable=False),
            sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("case_id", "code"),
        )

    if "flag" not in existing:
        with op.batch_alter_table("flag", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_flag_case_id"), ["case_id"], unique=False)

    if "flowrequest" not in existing:
        op.create_table(
            "flowrequest",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=True),
            sa.Column("flow_name", sa.String(), nullable=False),
            sa.Column("run_name", sa.String(), nullable=False),
            sa.Column("parameters", sa.JSON(), nullable=False),
            sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("flow_run_id", sa.String(), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("last_error", sa.String(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("key"),
        )

    if "flowrequest" not in existing:
        with op.batch_alter_table("flowrequest", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_flowrequest_case_id"), ["case_id"], unique=False)
            batch_op.create_index(
                batch_op.f("ix_flowrequest_flow_run_id"), ["flow_run_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f("ix_flowrequest_not_before"), ["not_before"], unique=False
            )
            batch_op.create_index(batch_op.f("ix_flowrequest_status"), ["status"], unique=False)

    if "gate" not in existing:
        op.create_table(
            "gate",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("round", sa.Integer(), nullable=False),
            sa.Column("role", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("due_on", sa.Date(), nullable=False),
            sa.Column("decision", sa.String(), nullable=True),
            sa.Column("reason", sa.String(), nullable=True),
            sa.Column("decided_by", sa.Integer(), nullable=True),
            sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.ForeignKeyConstraint(
                ["decided_by"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("case_id", "kind", "round"),
        )

    if "gate" not in existing:
        with op.batch_alter_table("gate", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_gate_case_id"), ["case_id"], unique=False)

    if "lesson" not in existing:
        op.create_table(
            "lesson",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=True),
            sa.Column("author_id", sa.Integer(), nullable=False),
            sa.Column("text", sa.String(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["author_id"],
                ["user.id"],
            ),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "lesson" not in existing:
        with op.batch_alter_table("lesson", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_lesson_case_id"), ["case_id"], unique=False)

    if "mail" not in existing:
        op.create_table(
            "mail",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("key", sa.String(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=True),
            sa.Column("notification", sa.String(), nullable=False),
            sa.Column("recipients", sa.JSON(), nullable=True),
            sa.Column("subject", sa.String(), nullable=False),
            sa.Column("text_body", sa.String(), nullable=False),
            sa.Column("html_body", sa.String(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_error", sa.String(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("key"),
        )

    if "mail" not in existing:
        with op.batch_alter_table("mail", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_mail_case_id"), ["case_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_mail_status"), ["status"], unique=False)

    if "registerentry" not in existing:
        op.create_table(
            "registerentry",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("reference", sa.String(), nullable=False),
            sa.Column("ocid", sa.String(), nullable=False),
            sa.Column("title", sa.String(), nullable=False),
            sa.Column("department", sa.String(), nullable=False),
            sa.Column("description", sa.String(), nullable=False),
            sa.Column("supplier_name", sa.String(), nullable=True),
            sa.Column("supplier_registration_number", sa.String(), nullable=True),
            sa.Column("sme", sa.Boolean(), nullable=False),
            sa.Column("vcse", sa.Boolean(), nullable=False),
            sa.Column("start_date", sa.Date(), nullable=True),
            sa.Column("end_date", sa.Date(), nullable=True),
            sa.Column("review_date", sa.Date(), nullable=True),
            sa.Column("value_pence", sa.BigInteger(), nullable=False),
            sa.Column("irrecoverable_vat_pence", sa.BigInteger(), nullable=False),
            sa.Column("procurement_process", sa.String(), nullable=True),
            sa.Column("contract_manager_name", sa.String(), nullable=True),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("ended_on", sa.Date(), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("case_id"),
        )

    if "review" not in existing:
        op.create_table(
            "review",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("case_id", sa.Integer(), nullable=False),
            sa.Column("period_start", sa.Date(), nullable=False),
            sa.Column("period_end", sa.Date(), nullable=False),
            sa.Column("rag", sa.String(), nullable=False),
            sa.Column("kpis", sa.JSON(), nullable=True),
            sa.Column("notes", sa.String(), nullable=False),
            sa.Column("submitted_by", sa.Integer(), nullable=False),
            sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["case_id"],
                ["case.id"],
            ),
            sa.ForeignKeyConstraint(
                ["submitted_by"],
                ["user.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )

    if "review" not in existing:
        with op.batch_alter_table("review", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_review_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    """Undo the schema as it stood when migrations began"""
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_case_id"))

    op.drop_table("review")
    op.drop_table("registerentry")
    with op.batch_alter_table("mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_status"))
        batch_op.drop_index(batch_op.f("ix_mail_case_id"))

    op.drop_table("mail")
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_case_id"))

    op.drop_table("lesson")
    with op.batch_alter_table("gate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_case_id"))

    op.drop_table("gate")
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowrequest_status"))
        batch_op.drop_index(batch_op.f("ix_flowrequest_not_before"))
        batch_op.drop_index(batch_op.f("ix_flowrequest_flow_run_id"))
        batch_op.drop_index(batch_op.f("ix_flowrequest_case_id"))

    op.drop_table("flowrequest")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_case_id"))

    op.drop_table("flag")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_sha256"))
        batch_op.drop_index(batch_op.f("ix_document_case_id"))

    op.drop_table("document")
    op.drop_table("contract")
    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bid_case_id"))

    op.drop_table("bid")
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditevent_case_id"))

    op.drop_table("auditevent")
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_websession_user_id"))
        batch_op.drop_index(batch_op.f("ix_websession_token_hash"))

    op.drop_table("websession")
    op.drop_table("password")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_token_hash"))

    op.drop_table("invitation")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_status"))
        batch_op.drop_index(batch_op.f("ix_case_stage"))
        batch_op.drop_index(batch_op.f("ix_case_requester_id"))
        batch_op.drop_index(batch_op.f("ix_case_reference"))
        batch_op.drop_index(batch_op.f("ix_case_contract_manager_id"))

    op.drop_table("case")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_token_hash"))
        batch_op.drop_index(batch_op.f("ix_user_email"))

    op.drop_table("user")
    with op.batch_alter_table("signinfailure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signinfailure_subject"))
        batch_op.drop_index(batch_op.f("ix_signinfailure_at"))

    op.drop_table("signinfailure")
    op.drop_table("referencecounter")
    with op.batch_alter_table("assurancesnapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assurancesnapshot_month"))

    op.drop_table("assurancesnapshot")
