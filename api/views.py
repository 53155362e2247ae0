"""What the API returns. Built from rows by the functions here, never by route bodies."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field
from sqlmodel import Session

from lifecycle.access import Area, may_enter
from lifecycle.assurance import Measure
from lifecycle.expiry import notice_due_on
from lifecycle.models import Case, Document, Gate, Mail, RegisterEntry, User, Variation
from lifecycle.rules import GateKind, Role
from lifecycle.services import (
    case_file,
    gates,
    users,
    variations,
)
from lifecycle.services.cases import gbp
from lifecycle.services.expiry import ExpiryState
from lifecycle.settings import get_settings
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


class HandoverView(View):
    from_user: PersonRef
    to_user: PersonRef
    cases: list[str]  # the references handed over
    deactivated: bool


class DelegationView(View):
    id: int
    delegator_id: int
    delegate_id: int
    role: str
    starts_on: date
    ends_on: date
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: int | None


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
    decided_for: int | None = None  # whose gate a delegate decided it for
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
    supplier_signed_on: date | None
    council_signed_on: date | None
    late_signing_reason: str | None
    next_review_due: date | None
    ended_on: date | None
    exit_reason: str | None
    extension_until: date | None = None
    termination_reason: str | None = None
    termination_notice_published_on: date | None = None
    termination_notice_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def termination_notice_due_on(self) -> date | None:
        """The last day for the termination notice (Procurement Act 2023 s.80), once ended."""
        if self.ended_on is None:
            return None
        return notice_due_on(self.ended_on, get_settings().termination_notice_days)


class ReviewView(View):
    id: int
    period_start: date
    period_end: date
    rag: str
    kpis: list[dict[str, Any]]
    notes: str
    submitted_by: int
    submitted_at: datetime


class KpiView(View):
    id: int
    name: str
    measure: str
    target: str
    set_by: int
    set_at: datetime


class KpiPointView(View):
    period_end: date
    kind: str  # review | assessment
    rating: str
    result: str
    period_start: date | None


class KpiHistoryView(View):
    kpi: KpiView
    points: list[KpiPointView]


class PerformanceView(View):
    """A contract's KPIs with each one's results and assessments over time, oldest first."""

    kpis: list[KpiHistoryView]
    fewer_kpis_reason: str | None
    next_assessment_due: date | None
    shortfall: str


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
    source_reference: str | None
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
    previous_case_id: int | None = None  # the contract this case re-procures
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


def gate_view(session: Session, case: Case, gate: Gate | dict[str, Any]) -> GateView:
    """A gate (or its row) and, while pending, the people who may decide it."""
    fields = gate.model_dump() if isinstance(gate, Gate) else gate
    kind = GateKind(fields["kind"])
    view = GateView.model_validate({**fields, "label": gates.GATE_LABELS[kind]})
    if fields["status"] == "pending":
        view.waiting_on = [
            PersonRef(id=user.id, name=user.name)
            for user in gates.deciders(session, case=case, kind=kind)
            if user.id is not None
        ]
    return view


def case_detail(session: Session, case: Case) -> CaseDetail:
    """Everything about one case, for the people working it and for auditors."""
    assert case.id is not None
    # One query per part however long the history (lifecycle/services/case_file.py).
    file = case_file.read(session, case_id=case.id)
    gate_views = [gate_view(session, case, gate) for gate in file.gates]
    # The gate the case waits on is its newest pending one (progress.pending_gate): found
    # among the gates just read, its view (and who may decide it) is not built twice.
    pending = next(
        (
            view
            for gate, view in zip(file.gates[::-1], gate_views[::-1], strict=True)
            if gate["status"] == "pending"
        ),
        None,
    )
    return CaseDetail.model_validate(
        {
            **case_summary(case).model_dump(),
            **case.model_dump(),
            "pending_gate": pending,
            "gates": gate_views,
            "timeline": [
                {name: value for name, value in event.items() if name not in ("id", "case_id")}
                for event in file.timeline
            ],
            "documents": file.documents,
            "flow_runs": file.flow_runs,
            "bids": file.bids,
            "contract_record": file.contract,
            "register_entry": file.register_entry,
            "reviews": file.reviews,
            "flags": file.flags,
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


# Variations, expiry and termination (lifecycle/services/variations.py, expiry.py,
# termination.py).


class VariationApprovalView(View):
    role: str
    status: str
    due_on: date
    decision: str | None
    reason: str | None
    decided_by: int | None
    decided_for: int | None = None  # whose approval a delegate gave it for
    decided_at: datetime | None
    waiting_on: list[PersonRef] = []


class VariationView(View):
    id: int
    number: int
    what: str
    why: str
    value_change_pence: int
    new_end_date: date | None
    status: str
    legal_because: str
    proposed_by: int
    proposed_at: datetime
    settled_at: datetime | None
    value_before_pence: int | None
    value_after_pence: int | None
    end_date_before: date | None
    end_date_after: date | None
    approvals: list[VariationApprovalView]


def variation_view(session: Session, case: Case, variation: Variation) -> VariationView:
    """A variation with its approvals and, for those still open, who may give them."""
    rows = []
    for approval in variations.approvals(session, variation_id=variation.id or 0):
        view = VariationApprovalView.model_validate(approval)
        if approval.status == "pending":
            view.waiting_on = [
                PersonRef(id=person.id, name=person.name)
                for person in variations.deciders(
                    session, case=case, variation=variation, role=Role(approval.role)
                )
                if person.id is not None
            ]
        rows.append(view)
    return VariationView.model_validate({**variation.model_dump(), "approvals": rows})


class ExpiryDecisionView(View):
    decision: str
    end_date: date
    new_end_date: date | None
    new_case_id: int | None
    reason: str
    decided_by: int
    decided_at: datetime


class ExpiryAlertView(BaseModel):
    months: int
    on: date


class ExpiryView(View):
    end_date: date
    extension_until: date | None
    alerts: list[ExpiryAlertView]
    escalates_on: date
    decision_needed: bool
    decision: ExpiryDecisionView | None


def expiry_view(state: ExpiryState) -> ExpiryView:
    """The contract's end and the decision it needs."""
    return ExpiryView(
        end_date=state.end_date,
        extension_until=state.extension_until,
        alerts=[ExpiryAlertView(months=months, on=on) for months, on in state.alerts],
        escalates_on=state.escalates_on,
        decision_needed=state.decision_needed,
        decision=ExpiryDecisionView.model_validate(state.decision) if state.decision else None,
    )


class TerminationView(View):
    ended_on: date | None
    exit_reason: str | None
    termination_reason: str | None
    notice_due_on: date | None
    notice_published_on: date | None
    notice_id: str | None
    notice_overdue: bool


class RegisterQuarterView(View):
    """A published quarter of the contract register, with what changed since the one before."""

    quarter: str
    last_day: date
    entries: int
    csv_sha256: str
    package_sha256: str
    changes: dict[str, Any]
    published_at: datetime


class NoticeView(View):
    """A Procurement Act notice of a case: needed or not and why, by when, its status, what it
    lacks, and its data as the OCDS release Find a Tender takes."""

    key: str
    type: str
    name: str
    required: bool
    why: str
    due_by: date | None
    # The day the duty to publish it arose (None: not yet; its due date is then the expected one).
    arises_on: date | None
    # Whether due_by is a last day the Act sets (the tender and award notices have none).
    deadline: bool
    status: str
    published_on: date | None
    identifier: str | None
    missing: list[str]
    release: dict[str, Any]
