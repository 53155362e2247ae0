"""Who may change a live contract or decide its end, and when: the guards behind the
variation, expiry and termination services, and behind the case page's forms for them
(`lifecycle/actions.py`). Pure: plain values in, '' when the person may, else why not."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lifecycle.calendar import start_of_day
from lifecycle.rules import Role
from lifecycle.variations import decision_refusal
from lifecycle.worklist import Person, Task, TaskKind


@dataclass(frozen=True)
class OpenApproval:
    """An approval the case's pending variation waits on."""

    role: Role
    other_approvers: tuple[int, ...]  # who gave its other approvals


@dataclass(frozen=True)
class EndState:
    """What these guards need about a live contract, as plain values."""

    pending_variation: int | None = None  # its number
    proposer_id: int | None = None
    open_approvals: tuple[OpenApproval, ...] = ()
    expiry_decided: bool = False  # for the contract's current end date
    ended: bool = False
    notice_published: bool = False


def proposal_refusal(user_id: int | None, manager_id: int | None) -> str:
    """The contract manager proposes variations."""
    return "" if user_id == manager_id else "only the case's contract manager proposes a variation"


def proposal_conflict(reference: str, state: EndState) -> str:
    """One variation at a time: the next waits until the last is decided."""
    if state.pending_variation is None:
        return ""
    return f"variation {state.pending_variation} on {reference} is still waiting on approval"


def approval_roles(
    state: EndState, user_id: int, roles: Sequence[Role], requester_id: int
) -> tuple[Role, ...]:
    """The open approvals of the pending variation this person may give."""
    if state.proposer_id is None:
        return ()
    return tuple(
        approval.role
        for approval in state.open_approvals
        if not decision_refusal(
            roles=list(roles),
            approval_role=approval.role,
            user_id=user_id,
            proposer_id=state.proposer_id,
            requester_id=requester_id,
            other_approvers=approval.other_approvers,
        )
    )


def approval_refusal(
    state: EndState, user_id: int, roles: Sequence[Role], requester_id: int
) -> str:
    """Why this person gives none of the pending variation's approvals ('' if they give one)."""
    if state.pending_variation is None:
        return "no variation waits on approval"
    if approval_roles(state, user_id, roles, requester_id):
        return ""
    return "none of this variation's open approvals is yours to give"


def end_refusal(user_id: int | None, roles: Sequence[Role], manager_id: int | None) -> str:
    """The contract manager and procurement decide about the contract's end."""
    if user_id == manager_id or Role.PROCUREMENT in roles:
        return ""
    return "only the contract manager or procurement decide about the contract's end"


def expiry_conflict(state: EndState) -> str:
    """One decision per end date."""
    return "the expiry decision for this end date is taken" if state.expiry_decided else ""


def notice_refusal(user_id: int | None, roles: Sequence[Role], manager_id: int | None) -> str:
    """Procurement or the manager record the termination notice."""
    if user_id == manager_id or Role.PROCUREMENT in roles:
        return ""
    return "only procurement or the contract manager record the termination notice"


def notice_conflict(reference: str, state: EndState) -> str:
    """A notice is recorded once, for a contract that has ended."""
    if not state.ended:
        return f"the contract on {reference} has not ended"
    if state.notice_published:
        return "the termination notice is already recorded as published"
    return ""


@dataclass(frozen=True)
class EndFacts:
    """A live or ended contract's open business, for the worklist ("waiting on me")."""

    case_id: int
    reference: str
    title: str
    requester_id: int
    manager_id: int | None
    state: EndState
    variation_proposed_at: datetime | None = None
    variation_due_on: date | None = None
    end_date: date | None = None
    first_alert_on: date | None = None  # None: no expiry decision is asked for yet
    escalates_on: date | None = None
    ended_on: date | None = None
    notice_due_on: date | None = None


def end_tasks(facts: EndFacts, person: Person, today: date) -> list[Task]:
    """The variation approvals, expiry decision and termination notice waiting on `person`."""
    found: list[Task] = []

    def task(kind: TaskKind, words: str, since: datetime, due: date | None) -> Task:
        """One task on this case."""
        return Task(
            case_id=facts.case_id,
            reference=facts.reference,
            title=facts.title,
            kind=kind,
            action=words,
            since=since,
            due_on=due,
            overdue=due is not None and today > due,
        )

    roles = tuple(person.roles)
    mine = approval_roles(facts.state, person.id, roles, facts.requester_id)
    if mine and facts.variation_proposed_at is not None:
        words = f"Decide variation {facts.state.pending_variation} ({' and '.join(mine)})"
        found.append(
            task(
                TaskKind.DECIDE_VARIATION,
                words,
                facts.variation_proposed_at,
                facts.variation_due_on,
            )
        )
    deciding = not end_refusal(person.id, roles, facts.manager_id)
    if deciding and facts.first_alert_on and facts.end_date and not facts.state.expiry_decided:
        words = f"Decide what happens when the contract ends on {facts.end_date:%-d %B %Y}"
        found.append(
            task(
                TaskKind.DECIDE_EXPIRY,
                words,
                start_of_day(facts.first_alert_on),
                facts.escalates_on,
            )
        )
    recording = not notice_refusal(person.id, roles, facts.manager_id)
    if recording and facts.ended_on and not facts.state.notice_published:
        found.append(
            task(
                TaskKind.PUBLISH_TERMINATION_NOTICE,
                "Publish the termination notice (Procurement Act 2023 s.80) and record it",
                start_of_day(facts.ended_on),
                facts.notice_due_on,
            )
        )
    return found
