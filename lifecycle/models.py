"""The SQLModel tables. Money is integer pence, dates are dates, timestamps are aware UTC."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Index,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, as an aware UTC timestamp."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware timestamps as UTC and hands them back aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stamp(**kwargs: Any) -> Any:
    """An aware-timestamp column."""
    return Field(sa_type=UTCDateTime, **kwargs)  # type: ignore[call-overload]


def pence(**kwargs: Any) -> Any:
    """Money in integer pence: BIGINT, since 32 bits stop at about 21 million pounds."""
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


# Primary keys are 32-bit on PostgreSQL; a larger id cannot exist, so it is simply unknown.
MAX_ID = 2**31 - 1


def json_column() -> Any:
    """A JSON column (lists and dicts)."""
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class User(SQLModel, table=True):
    """A person who signs in with an API token; roles are a comma-separated set."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    email: str = Field(unique=True, index=True)
    roles: str
    token_hash: str = Field(unique=True, index=True)
    active: bool = True
    created_at: datetime = stamp(default_factory=utcnow)


class ReferenceCounter(SQLModel, table=True):
    """The last case number issued in a year, for PR-YYYY-NNNN references."""

    year: int = Field(primary_key=True)
    last: int = 0


class Case(SQLModel, table=True):
    """One purchase from request to closed contract."""

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True)
    ocid: str = Field(unique=True)
    title: str
    description: str
    category: str
    light_touch: bool = False
    department: str
    estimated_value_pence: int = pence()
    irrecoverable_vat_pence: int = pence(default=0)
    needed_by: date
    contract_required: bool
    route: str
    contract: bool
    stage: str = Field(index=True)
    status: str = Field(index=True)
    outcome: str | None = None
    requester_id: int = Field(foreign_key="user.id", index=True)
    contract_manager_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    contract_type: str | None = None
    key_contract: bool = False
    awarded_bid_id: int | None = None
    award_rationale: str | None = None
    award_notice_published_on: date | None = None
    standstill_last_day: date | None = None
    # Why a contract over the KPI threshold sets fewer than 3 KPIs (Procurement Act 2023 s.52).
    fewer_kpis_reason: str | None = None
    created_at: datetime = stamp(default_factory=utcnow)
    updated_at: datetime = stamp(default_factory=utcnow)
    closed_at: datetime | None = stamp(default=None)
    # The case whose contract this one re-procures (an expiry decision opened it).
    previous_case_id: int | None = Field(default=None, foreign_key="case.id", index=True)


class Gate(SQLModel, table=True):
    """A decision a case waits on. One row per (case, kind, round): a rerun cannot add one."""

    __table_args__ = (UniqueConstraint("case_id", "kind", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str
    round: int = 1
    role: str
    status: str = "pending"  # pending | decided
    opened_at: datetime = stamp(default_factory=utcnow)
    due_on: date
    decision: str | None = None
    reason: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    # Whose gate a delegate decided it for (a delegation in force); None: in their own right.
    decided_for: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = stamp(default=None)


class AuditEvent(SQLModel, table=True):
    """Who did what to a case, when, from which stage and status to which, and why."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    at: datetime = stamp(default_factory=utcnow)
    action: str
    from_stage: str | None = None
    to_stage: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] = json_column()
    # The case's hash chain (lifecycle/chain.py): the hash of the event before, and this
    # event's own, over its content and that one.
    prev_hash: str | None = None
    hash: str | None = None


class AuditAnchor(SQLModel, table=True):
    """A day's digest of every audit chain's head: a history rewritten with fresh hashes after
    it no longer matches. Logged as it is taken, so a copy lives outside the database."""

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    last_event_id: int  # the chains as they stood up to and including this event
    chains: int
    digest: str
    taken_at: datetime = stamp(default_factory=utcnow)


class Bid(SQLModel, table=True):
    """A supplier's bid or quote in a procurement."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    supplier_name: str
    registration_number: str | None = None
    sme: bool = False
    vcse: bool = False
    price_pence: int = pence()
    # The part of the price that is VAT the council cannot recover: the register takes it from
    # the awarded bid, beside the price, so the two never come from different sources.
    irrecoverable_vat_pence: int = pence(default=0)
    score: int | None = None
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = stamp(default_factory=utcnow)


class Document(SQLModel, table=True):
    """A document in the central repository; bytes live once under their SHA-256."""

    __table_args__ = (UniqueConstraint("case_id", "sha256", "document_type"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    document_type: str
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str = Field(index=True)
    uploaded_by: int = Field(foreign_key="user.id")
    uploaded_at: datetime = stamp(default_factory=utcnow)


class Contract(SQLModel, table=True):
    """The signed contract's dates; one per case."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    start_date: date
    # Indexed: the daily sweep finds the contracts nearing their end without reading them all.
    end_date: date = Field(index=True)
    # None: not known. A contract brought in from an existing register carries no signing
    # dates the register does not give, rather than invented ones.
    supplier_signed_on: date | None = None
    council_signed_on: date | None = None
    late_signing_reason: str | None = None
    ended_on: date | None = Field(default=None, index=True)
    exit_reason: str | None = None
    # The extension option, if the contract has one: until when it may be extended.
    extension_until: date | None = None
    termination_reason: str | None = None
    # The termination notice (Procurement Act 2023 s.80), once published on Find a Tender.
    termination_notice_published_on: date | None = None
    termination_notice_id: str | None = None
    next_review_due: date | None = None
    # Indexed: the daily sweep finds the assessments due without reading every contract.
    next_assessment_due: date | None = Field(default=None, index=True)
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = stamp(default_factory=utcnow)


class Variation(SQLModel, table=True):
    """A change to a live contract the manager proposed: what, why, by how much, to when.
    The values before and after are kept once it is applied."""

    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    number: int  # 1, 2, ... on its case
    what: str
    why: str
    value_change_pence: int = pence()  # negative: the value falls
    new_end_date: date | None = None
    status: str = "pending"  # pending | approved | rejected
    legal_because: str = ""  # why legal approves it too; empty: procurement alone
    proposed_by: int = Field(foreign_key="user.id")
    proposed_at: datetime = stamp(default_factory=utcnow)
    settled_at: datetime | None = stamp(default=None)
    value_before_pence: int | None = pence(default=None)
    value_after_pence: int | None = pence(default=None)
    end_date_before: date | None = None
    end_date_after: date | None = None


class VariationApproval(SQLModel, table=True):
    """One approval a variation waits on, by role; decided once."""

    __table_args__ = (UniqueConstraint("variation_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    variation_id: int = Field(foreign_key="variation.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    role: str
    status: str = Field(default="pending", index=True)  # pending | decided | cancelled
    due_on: date
    decision: str | None = None
    reason: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    # Whom a delegate gave it for, by a delegation in force (decided_by is the delegate).
    decided_for: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = stamp(default=None)


class ExpiryDecision(SQLModel, table=True):
    """The one decision a contract nearing its end date needs: extend, re-procure or end.
    One per end date: an extension gives a new end date, which needs its own."""

    __table_args__ = (UniqueConstraint("case_id", "end_date"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    end_date: date
    decision: str  # extend | reprocure | end
    new_end_date: date | None = None
    new_case_id: int | None = Field(default=None, foreign_key="case.id")
    reason: str = ""
    decided_by: int = Field(foreign_key="user.id")
    decided_at: datetime = stamp(default_factory=utcnow)


class Flag(SQLModel, table=True):
    """Something an auditor must see about a case, raised once per code."""

    __table_args__ = (UniqueConstraint("case_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    code: str
    message: str
    raised_at: datetime = stamp(default_factory=utcnow)


class TrainingRecord(SQLModel, table=True):
    """A course a person completed, and until when it counts (None: it does not lapse)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    course: str
    provider: str
    completed_on: date
    valid_until: date | None = None
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = stamp(default_factory=utcnow)


class TrainingNeed(SQLModel, table=True):
    """A contract whose named manager lacks the training its size or complexity needs: open
    from `raised_at` until a valid training record meets it (`met_at`). Lapsed training opens
    a new one."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    manager_id: int = Field(foreign_key="user.id", index=True)
    why: str
    raised_at: datetime = stamp(default_factory=utcnow)
    met_at: datetime | None = stamp(default=None, index=True)


class Delegation(SQLModel, table=True):
    """Someone away hands their gates of one role to a colleague holding it, for a period
    (both days included), until it ends or is withdrawn."""

    id: int | None = Field(default=None, primary_key=True)
    delegator_id: int = Field(foreign_key="user.id", index=True)
    delegate_id: int = Field(foreign_key="user.id", index=True)
    role: str
    starts_on: date
    ends_on: date = Field(index=True)
    created_at: datetime = stamp(default_factory=utcnow)
    withdrawn_at: datetime | None = stamp(default=None)
    withdrawn_by: int | None = Field(default=None, foreign_key="user.id")


class RegisterEntry(SQLModel, table=True):
    """The case's line in the Transparency Code contract register."""

    # The register's own order (by reference, then id): a page or a CSV batch reads its rows
    # off this index instead of sorting every entry for each.
    __table_args__ = (Index("ix_registerentry_reference_id", "reference", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    status: str = "draft"  # draft | submitted | verified | published | ended
    reference: str
    ocid: str
    title: str
    department: str
    description: str
    supplier_name: str | None = None
    supplier_registration_number: str | None = None
    sme: bool = False
    vcse: bool = False
    start_date: date | None = None
    end_date: date | None = None
    review_date: date | None = None
    value_pence: int = pence()
    irrecoverable_vat_pence: int = pence(default=0)
    procurement_process: str | None = None
    contract_manager_name: str | None = None
    # The contract's own reference in the register it was imported from (for Contracts Finder,
    # its notice id), so a reader can match the two; imports are idempotent on it.
    source_reference: str | None = Field(default=None, unique=True, index=True)
    published_at: datetime | None = stamp(default=None)
    ended_on: date | None = None
    updated_at: datetime = stamp(default_factory=utcnow)


class RegisterQuarter(SQLModel, table=True):
    """A quarter's contract register as published: frozen as it stood at the quarter's end
    (the Transparency Code CSV and an OCDS release package), with what changed since the
    quarter published before it."""

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(unique=True)  # 2026-Q4: calendar quarters, Q4 ends 31 December
    last_day: date
    entries: int
    csv_text: str
    csv_sha256: str
    package_json: str
    package_sha256: str
    changes: dict[str, Any] = json_column()
    published_at: datetime = stamp(default_factory=utcnow)


class Notice(SQLModel, table=True):
    """A Procurement Act notice of a case (UK4, UK9-2, ...): drafted from the case, marked ready
    by procurement once nothing it needs is missing, then recorded as published on Find a
    Tender with the platform's identifier. No row: still a draft."""

    __table_args__ = (UniqueConstraint("case_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    key: str
    status: str = "draft"  # draft | ready | published
    published_on: date | None = None
    identifier: str | None = None
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = stamp(default_factory=utcnow)


class Review(SQLModel, table=True):
    """A contract manager's performance review for one period."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    period_start: date
    period_end: date
    rag: str
    kpis: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    notes: str = ""
    submitted_by: int = Field(foreign_key="user.id")
    submitted_at: datetime = stamp(default_factory=utcnow)


class Kpi(SQLModel, table=True):
    """A key performance indicator the contract sets (Procurement Act 2023 s.52)."""

    __table_args__ = (UniqueConstraint("case_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    name: str
    measure: str
    target: str
    set_by: int = Field(foreign_key="user.id")
    set_at: datetime = stamp(default_factory=utcnow)


class KpiResult(SQLModel, table=True):
    """One contract KPI's result and rating in a performance review."""

    __table_args__ = (UniqueConstraint("review_id", "kpi_id"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kpi_id: int = Field(foreign_key="kpi.id", index=True)
    result: str
    rating: str


class KpiAssessment(SQLModel, table=True):
    """A KPI's rating in the contract's assessment of a period (s.71): one row per KPI, and
    one assessment per KPI and period end."""

    __table_args__ = (UniqueConstraint("kpi_id", "period_end"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kpi_id: int = Field(foreign_key="kpi.id", index=True)
    period_end: date
    rating: str
    notes: str = ""
    assessed_by: int = Field(foreign_key="user.id")
    assessed_at: datetime = stamp(default_factory=utcnow)


class Lesson(SQLModel, table=True):
    """A lessons-learned entry, optionally about a case."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str
    created_at: datetime = stamp(default_factory=utcnow)


class FlowRequest(SQLModel, table=True):
    """Outbox of stage flow runs. Written with the change that needs the run; once
    `not_before` has passed, the dispatcher submits it to a deployment with `key` as the
    idempotency key, or the in-process executor creates and runs it (its create's key is `key`
    and a value new for each try, flows/executor.py)."""

    # The dispatcher's question, "what is due next, most awaited first", read off one index.
    __table_args__ = (Index("ix_flowrequest_due", "status", "priority", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    flow_name: str
    run_name: str
    parameters: dict[str, Any] = json_column()
    not_before: datetime = stamp(default_factory=utcnow, index=True)
    status: str = Field(default="pending", index=True)  # pending|submitted|running|completed|failed
    flow_run_id: str | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = stamp(default_factory=utcnow)
    updated_at: datetime = stamp(default_factory=utcnow)
    # lifecycle.runorder.Priority: 0 a person waits for it, 1 bulk work; lower goes first.
    priority: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # Run in-process (flows/executor.py): the executor running it renews this while it runs;
    # once passed, that executor died and the run is settled as crashed and asked for again.
    claimed_until: datetime | None = stamp(default=None)


class Mail(SQLModel, table=True):
    """Outbox of email. Rendered when the event happens; `key` makes a repeat a no-op."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    notification: str
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    subject: str
    text_body: str
    html_body: str
    status: str = Field(default="pending", index=True)  # pending | sent | failed | cancelled
    attempts: int = 0
    next_attempt_at: datetime = stamp(default_factory=utcnow)
    # A dispatcher's claim on the row while it sends it: nobody else sends it until the claim
    # lapses (the dispatcher died mid-send; the resend carries the same Message-ID).
    claimed_by: str | None = None
    claimed_until: datetime | None = stamp(default=None, index=True)
    last_error: str | None = None
    created_at: datetime = stamp(default_factory=utcnow)
    sent_at: datetime | None = stamp(default=None)


class MailRecipient(SQLModel, table=True):
    """One address a mail is to, a row each: one person's mail is found by an index, not by
    reading every mail's list. Written with the mail (see `_index_recipients`)."""

    mail_id: int = Field(foreign_key="mail.id", primary_key=True)
    address: str = Field(primary_key=True, index=True)


@event.listens_for(Mail, "after_insert")
def _index_recipients(_mapper: Any, connection: Connection, mail: Mail) -> None:
    """Whoever queues a mail, its recipients are indexed in the same transaction."""
    if mail.recipients:
        connection.execute(
            MailRecipient.__table__.insert(),  # type: ignore[attr-defined]
            [{"mail_id": mail.id, "address": address} for address in set(mail.recipients)],
        )


# Sign-in for the pages. Separate tables rather than new columns on `user`, so a data folder
# created before the pages existed gains them from create_all at start.


class Password(SQLModel, table=True):
    """A user's password, as an Argon2id hash (the hash carries its own salt and cost)."""

    user_id: int = Field(primary_key=True, foreign_key="user.id")
    hash: str
    changed_at: datetime = stamp(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database signs nobody in. The CSRF token is checked on every form post."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str
    created_at: datetime = stamp(default_factory=utcnow)
    expires_at: datetime = stamp()
    flash: str | None = None  # one message for the next page shown (post, redirect, get)


class Invitation(SQLModel, table=True):
    """A one-time link to set a password: expires, and works once."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    invited_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = stamp(default_factory=utcnow)
    expires_at: datetime = stamp()
    used_at: datetime | None = stamp(default=None)


class SignInFailure(SQLModel, table=True):
    """A failed sign-in, counted against the address tried and the client it came from."""

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True)  # "email:<address>" or "client:<ip>"
    at: datetime = stamp(default_factory=utcnow, index=True)


class AssuranceSnapshot(SQLModel, table=True):
    """One assurance measure as it stood in a month: updated in place by each day's sweep, so a
    past month holds its month-end state. The trend on the assurance page is drawn from these."""

    __table_args__ = (UniqueConstraint("month", "measure"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(index=True)  # 'YYYY-MM', London time
    measure: str  # the measure's key, e.g. "legal_first"
    met: int
    of: int
    recorded_at: datetime = stamp(default_factory=utcnow)
