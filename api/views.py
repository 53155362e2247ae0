"""What the API returns. Built from rows by the functions here, never by route bodies."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from lifecycle.access import Area, may_enter
from lifecycle.assurance import Measure
from lifecycle.models import Case, Document, Gate, Mail, RegisterEntry, User
from lifecycle.rules import GateKind
from lifecycle.services import (
    documents,
    flags,
    gates,
    history,
    monitoring,
    procurement,
    progress,
    register,
    signing,
    users,
)
from lifecycle.services.cases import gbp
from notifications import CARRIES_SECRET, SECRET_WITHHELD


class View(BaseModel):
    """Read from ORM attributes."""

    model_config = ConfigDict(from_attributes=True)


class UserView(View):
    id: int
    name: str
    email: str
    roles: list[str]


class TrainingRecordView(View):
    id: int
    user_id: int
    course: str
    provider: str
    completed_on: date
    valid_until: date | None
    recorded_by: int
    recorded_at: datetime


class TrainingNeedView(View):
    case_id: int
    reference: str
    title: str
    manager_id: int
    manager_name: str
    why: str
    since: datetime


class PersonRef(View):
    id: int
    name: str


class GateView(View):
    id: int
    kind: str
    label: str
    round: int
    role: str
    status: str
    opened_at: datetime
    due_on: date
    decision: str | None
    reason: str | None
    decided_by: int | None
    decided_at: datetime | None
    waiting_on: list[PersonRef] = []


class CaseSummary(View):
    id: int
    reference: str
    ocid: str
    title: str
    department: str
    category: str
    estimated_value_pence: int
    estimated_value_gbp: str
    route: str
    # Whether this purchase needs a contract (the route or the requester says so), and so
    # goes through signing, the register and monitoring; the contract itself is
    # `contract_record` on the case's detail.
    needs_contract: bool
    stage: str
    status: str
    outcome: str | None
    requester_id: int
    contract_manager_id: int | None
    created_at: datetime
    updated_at: datetime


class EventView(BaseModel):
    at: datetime
    actor: str
    actor_id: int | None
    action: str
    from_stage: str | None
    to_stage: str | None
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]


class DocumentView(View):
    id: int
    document_type: str
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int
    uploaded_at: datetime


class FlowRunView(View):
    flow_name: str
    run_name: str
    status: str
    flow_run_id: str | None
    not_before: datetime
    attempts: int
    last_error: str | None
    updated_at: datetime


class BidView(View):
    id: int
    supplier_name: str
    registration_number: str | None
    sme: bool
    vcse: bool
    price_pence: int
    irrecoverable_vat_pence: int
    score: int | None
    created_at: datetime


class ContractView(View):
    start_date: date
    end_date: date
    supplier_signed_on: date
    council_signed_on: date
    late_signing_reason: str | None
    next_review_due: date | None
    ended_on: date | None
    exit_reason: str | None


class ReviewView(View):
    id: int
    period_start: date
    period_end: date
    rag: str
    kpis: list[dict[str, Any]]
    notes: str
    submitted_by: int
    submitted_at: datetime


class FlagView(View):
    code: str
    message: str
    raised_at: datetime


class RegisterEntryView(View):
    reference: str
    ocid: str
    title: str
    department: str
    description: str
    supplier_name: str | None
    supplier_registration_number: str | None
    sme: bool
    vcse: bool
    start_date: date | None
    end_date: date | None
    review_date: date | None
    value_pence: int
    irrecoverable_vat_pence: int
    procurement_process: str | None
    contract_manager_name: str | None
    status: str
    published_at: datetime | None
    ended_on: date | None


class CaseDetail(CaseSummary):
    description: str
    light_touch: bool
    irrecoverable_vat_pence: int
    needed_by: date
    contract_required: bool
    contract_type: str | None
    key_contract: bool
    award_rationale: str | None
    awarded_bid_id: int | None
    award_notice_published_on: date | None
    standstill_last_day: date | None
    closed_at: datetime | None
    pending_gate: GateView | None
    gates: list[GateView]
    timeline: list[EventView]
    documents: list[DocumentView]
    flow_runs: list[FlowRunView]
    bids: list[BidView]
    contract_record: ContractView | None
    register_entry: RegisterEntryView | None
    reviews: list[ReviewView]
    flags: list[FlagView]


class MailView(View):
    id: int
    key: str
    case_id: int | None
    notification: str
    recipients: list[str]
    subject: str
    text_body: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class LessonView(View):
    id: int
    case_id: int | None
    author_id: int
    text: str
    created_at: datetime


class MeasureView(BaseModel):
    name: str
    met: int
    of: int
    share: float | None
    shortfalls: list[str]


def measure_view(measure: Measure) -> MeasureView:
    """One line of the assurance report."""
    return MeasureView(
        name=measure.name,
        met=measure.met,
        of=measure.of,
        share=measure.share,
        shortfalls=measure.shortfalls,
    )


def user_view(user: User) -> UserView:
    """A user without their token hash."""
    assert user.id is not None
    return UserView(
        id=user.id,
        name=user.name,
        email=user.email,
        roles=[role.value for role in users.roles_of(user)],
    )


def case_summary(case: Case) -> CaseSummary:
    """The list view of a case."""
    return CaseSummary.model_validate(
        {
            **case.model_dump(),
            "needs_contract": case.contract,
            "estimated_value_gbp": gbp(case.estimated_value_pence),
        }
    )


def gate_view(session: Session, case: Case, gate: Gate) -> GateView:
    """A gate and, while pending, the people who may decide it."""
    view = GateView.model_validate(
        {**gate.model_dump(), "label": gates.GATE_LABELS[GateKind(gate.kind)]}
    )
    if gate.status == "pending":
        view.waiting_on = [
            PersonRef(id=user.id, name=user.name)
            for user in gates.deciders(session, case=case, kind=GateKind(gate.kind))
            if user.id is not None
        ]
    return view


def case_detail(session: Session, case: Case) -> CaseDetail:
    """Everything about one case, for the people working it and for auditors."""
    assert case.id is not None
    gate_rows = progress.list_gates(session, case_id=case.id)
    pending = progress.pending_gate(session, case_id=case.id)
    contract = signing.get_contract(session, case_id=case.id)
    entry = register.get_entry(session, case_id=case.id)
    return CaseDetail.model_validate(
        {
            **case_summary(case).model_dump(),
            **case.model_dump(),
            "pending_gate": gate_view(session, case, pending) if pending else None,
            "gates": [gate_view(session, case, gate) for gate in gate_rows],
            "timeline": [
                EventView(
                    **event.model_dump(exclude={"id", "case_id"}),
                    actor=user.name if user else "system",
                )
                for event, user in history.timeline(session, case_id=case.id)
            ],
            "documents": documents.list_for_case(session, case_id=case.id),
            "flow_runs": history.flow_runs(session, case_id=case.id),
            "bids": procurement.list_bids(session, case_id=case.id),
            "contract_record": contract,
            "register_entry": entry,
            "reviews": monitoring.list_reviews(session, case_id=case.id),
            "flags": flags.list_for_case(session, case_id=case.id),
        }
    )


def document_view(document: Document) -> DocumentView:
    """A document's metadata."""
    return DocumentView.model_validate(document)


def register_view(entry: RegisterEntry) -> RegisterEntryView:
    """A register line."""
    return RegisterEntryView.model_validate(entry)


def mail_view(mail: Mail, *, reader: User) -> MailView:
    """An outbox mail; a one-time link in it is shown only to its recipient and to admins."""
    view = MailView.model_validate(mail)
    if (
        mail.notification in CARRIES_SECRET
        and reader.email not in mail.recipients
        and not may_enter(users.roles_of(reader), Area.MANAGE_USERS)
    ):
        view.text_body = SECRET_WITHHELD
    return view
