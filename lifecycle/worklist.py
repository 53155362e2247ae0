"""What waits on whom: a person's tasks, from plain facts about cases. Pure: the home page's
service loads the facts, this decides which of them are someone's work and says it in words."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from lifecycle.calendar import start_of_day
from lifecycle.clock import london_date
from lifecycle.rules import (
    CHANGES_ANSWERED_BY,
    GATE_STAGE,
    GateKind,
    Party,
    Role,
    Route,
    Stage,
    Status,
    may_decide,
    prepared_by,
)

# The documents a contract manager supplies: the signed contract during signing, and for a key
# contract the exit plan and the contract summary before monitoring can start.
SIGNED_CONTRACT = "contractSigned"
EXIT_DOCUMENTS = {
    "contractArrangements": "the exit plan (contractArrangements)",
    "contractSummary": "the contract summary (contractSummary)",
}
MANAGER_DOCUMENTS = frozenset({SIGNED_CONTRACT, *EXIT_DOCUMENTS})


class TaskKind(StrEnum):
    """The kinds of work the home page lists, in the order ties are shown."""

    DECIDE_GATE = "decide_gate"
    ANSWER_CHANGES = "answer_changes"
    RUN_PROCUREMENT = "run_procurement"
    RECORD_AWARD_NOTICE = "record_award_notice"
    UPLOAD_SIGNED_CONTRACT = "upload_signed_contract"
    NAME_MANAGER = "name_manager"
    SUPPLY_REGISTER_DETAILS = "supply_register_details"
    UPLOAD_EXIT_DOCUMENTS = "upload_exit_documents"
    SUBMIT_REVIEW = "submit_review"
    DECIDE_VARIATION = "decide_variation"
    DECIDE_EXPIRY = "decide_expiry"
    PUBLISH_TERMINATION_NOTICE = "publish_termination_notice"
    PUBLISH_NOTICE = "publish_notice"


GATE_WORDS: dict[GateKind, str] = {
    GateKind.LEGAL_CONSULTATION: "Decide the early legal consultation",
    GateKind.AWARD_APPROVAL: "Decide the award approval",
    GateKind.SIGNING_CONFIRMATION: "Decide the signing confirmation",
    GateKind.REGISTER_VERIFICATION: "Verify the register entry",
    GateKind.CLOSURE: "Decide the contract closure",
}

CHANGES_WORDS: dict[GateKind, str] = {
    GateKind.LEGAL_CONSULTATION: "Change the request as legal asked, then resubmit it",
    GateKind.AWARD_APPROVAL: "Make the changes asked for at award approval, then resubmit",
    GateKind.SIGNING_CONFIRMATION: "Make the changes legal asked for at signing, then resubmit",
    GateKind.REGISTER_VERIFICATION: (
        "Correct the register entry as procurement asked, then resubmit it"
    ),
    GateKind.CLOSURE: "Make the changes asked for before closure, then resubmit",
}

PROCUREMENT_WORDS: dict[Route, str] = {
    Route.LOW_VALUE: "Record the quote and recommend the award",
    Route.QUOTES: "Record three written quotes and recommend an award",
    Route.BELOW_THRESHOLD: "Advertise, record the bids and recommend an award",
    Route.ABOVE_THRESHOLD: "Run the competition, record the bids and recommend an award",
}

# Each stage has at most one gate, so a case sent back knows which gate sent it.
STAGE_GATE: dict[Stage, GateKind] = {stage: kind for kind, stage in GATE_STAGE.items()}


@dataclass(frozen=True)
class Person:
    """Who is asking: their id and roles."""

    id: int
    roles: frozenset[Role]


@dataclass(frozen=True)
class OpenGate:
    """A case's pending gate."""

    kind: GateKind
    opened_at: datetime
    due_on: date


@dataclass(frozen=True)
class CaseState:
    """What the worklist needs to know about a case, as plain values."""

    id: int
    reference: str
    title: str
    stage: Stage
    status: Status
    route: Route
    requester_id: int
    contract_manager_id: int | None
    changed_at: datetime
    key_contract: bool = False
    pending_gate: OpenGate | None = None
    recommended: bool = False
    award_approved: bool = False
    award_notice_recorded: bool = False
    register_submitted: bool = False
    documents: frozenset[str] = frozenset()
    next_review_due: date | None = None
    # (actor, action) events that prepare a gate, oldest first: who may not decide it.
    events: tuple[tuple[int | None, str], ...] = ()


@dataclass(frozen=True)
class Task:
    """One thing a person must do on a case, since when, and by when."""

    case_id: int
    reference: str
    title: str
    kind: TaskKind
    action: str
    since: datetime
    due_on: date | None
    overdue: bool
    # A gate the person may also decide by delegation: the colleagues away they stand in for.
    on_behalf_of: tuple[str, ...] = ()
    # Where on the case the task is done, after the case's own address ("" for its page).
    place: str = ""

    @property
    def since_on(self) -> date:
        """The UK date the task has waited since."""
        return london_date(self.since)


@dataclass(frozen=True)
class Worklist:
    """A person's tasks, oldest first, and whether more wait than are shown."""

    tasks: tuple[Task, ...]
    more: bool


def answers_changes(case: CaseState, person: Person) -> bool:
    """Whether `person` answers the request for changes this case waits on: the party the
    sending gate names (a contract manager's part falls to the requester while none is named)."""
    kind = STAGE_GATE.get(case.stage)
    if case.status is not Status.CHANGES_REQUESTED or kind is None:
        return False
    match CHANGES_ANSWERED_BY[kind]:
        case Party.PROCUREMENT_TEAM:
            return Role.PROCUREMENT in person.roles
        case Party.CONTRACT_MANAGER if case.contract_manager_id is not None:
            return person.id == case.contract_manager_id
    return person.id == case.requester_id


def may_decide_gate(case: CaseState, person: Person) -> bool:
    """Whether the case's pending gate waits on `person`: the gate's role, not their own case,
    not what they prepared."""
    gate = case.pending_gate
    if gate is None:
        return False
    prepared = prepared_by(gate.kind, case.events)
    return not may_decide(sorted(person.roles), person.id, case.requester_id, gate.kind, prepared)


def review_window_opens(due_on: date, lead_days: int) -> date:
    """The day a review due on `due_on` joins the manager's work."""
    return due_on - timedelta(days=lead_days)


def _procurement_work(case: CaseState) -> tuple[TaskKind, str] | None:
    """What the procurement team must do on a case in procurement that waits on nobody else."""
    working = case.status is Status.IN_PROGRESS and case.pending_gate is None
    if case.stage is not Stage.PROCUREMENT or not working:
        return None
    if not case.award_approved and not case.recommended:
        return TaskKind.RUN_PROCUREMENT, PROCUREMENT_WORDS[case.route]
    needs_notice = case.route is Route.ABOVE_THRESHOLD and not case.award_notice_recorded
    if case.award_approved and needs_notice:
        return (
            TaskKind.RECORD_AWARD_NOTICE,
            "Record the award notice (the standstill starts on the day it is published)",
        )
    return None


def _manager_work(case: CaseState, person: Person) -> list[tuple[TaskKind, str]]:
    """What the named contract manager supplies before the contract goes live."""
    if person.id != case.contract_manager_id:
        return []
    working = case.status is Status.IN_PROGRESS and case.pending_gate is None
    work: list[tuple[TaskKind, str]] = []
    if case.stage is Stage.SIGNING and working and SIGNED_CONTRACT not in case.documents:
        work.append((TaskKind.UPLOAD_SIGNED_CONTRACT, "Upload the signed contract"))
    if case.stage is Stage.REGISTER_ENTRY:
        if working and not case.register_submitted:
            work.append(
                (
                    TaskKind.SUPPLY_REGISTER_DETAILS,
                    "Supply the register details and submit the entry",
                )
            )
        missing = [words for code, words in EXIT_DOCUMENTS.items() if code not in case.documents]
        if case.key_contract and missing:
            work.append((TaskKind.UPLOAD_EXIT_DOCUMENTS, "Upload " + " and ".join(missing)))
    return work


def tasks_on(case: CaseState, person: Person, *, today: date, review_lead_days: int) -> list[Task]:
    """Everything on this case that waits on `person`."""

    def task(kind: TaskKind, action: str, since: datetime, due_on: date | None = None) -> Task:
        """One task on this case, overdue once its due date has passed."""
        overdue = due_on is not None and due_on < today
        return Task(case.id, case.reference, case.title, kind, action, since, due_on, overdue)

    if case.status is Status.CLOSED:
        return []
    found: list[Task] = []
    gate = case.pending_gate
    if gate is not None and may_decide_gate(case, person):
        found.append(task(TaskKind.DECIDE_GATE, GATE_WORDS[gate.kind], gate.opened_at, gate.due_on))
    if answers_changes(case, person):
        words = CHANGES_WORDS[STAGE_GATE[case.stage]]
        found.append(task(TaskKind.ANSWER_CHANGES, words, case.changed_at))
    procurement = _procurement_work(case) if Role.PROCUREMENT in person.roles else None
    if procurement is not None:
        found.append(task(*procurement, case.changed_at))
    unnamed = case.contract_manager_id is None
    if case.stage is Stage.REGISTER_ENTRY and unnamed and person.id == case.requester_id:
        found.append(task(TaskKind.NAME_MANAGER, "Name the contract manager", case.changed_at))
    for kind, words in _manager_work(case, person):
        found.append(task(kind, words, case.changed_at))
    due = case.next_review_due
    if case.stage is Stage.MONITORING and due is not None and person.id == case.contract_manager_id:
        opens = review_window_opens(due, review_lead_days)
        if opens <= today:
            found.append(
                task(
                    TaskKind.SUBMIT_REVIEW,
                    "Submit the performance review",
                    start_of_day(opens),
                    due,
                )
            )
    return found


def worklist(
    person: Person,
    cases: Iterable[CaseState],
    *,
    today: date,
    review_lead_days: int,
    limit: int,
) -> Worklist:
    """Every task waiting on `person`, oldest first, at most `limit` of them."""
    order = list(TaskKind)
    tasks = sorted(
        (
            found
            for case in cases
            for found in tasks_on(case, person, today=today, review_lead_days=review_lead_days)
        ),
        key=lambda found: (found.since, found.case_id, order.index(found.kind)),
    )
    return Worklist(tasks=tuple(tasks[:limit]), more=len(tasks) > limit)
