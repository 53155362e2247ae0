"""Who may propose and approve variations, decide a contract's end and record its notice,
and the work this puts in "waiting on me"."""

from datetime import UTC, date, datetime

from lifecycle.contract_end import (
    EndFacts,
    EndState,
    OpenApproval,
    approval_refusal,
    approval_roles,
    end_refusal,
    end_tasks,
    expiry_conflict,
    notice_conflict,
    notice_refusal,
    proposal_conflict,
    proposal_refusal,
)
from lifecycle.rules import Role
from lifecycle.worklist import Person, TaskKind

MANAGER, REQUESTER, BUYER, LAWYER = 1, 2, 3, 4
PENDING = EndState(
    pending_variation=2,
    proposer_id=MANAGER,
    open_approvals=(
        OpenApproval(role=Role.PROCUREMENT, other_approvers=()),
        OpenApproval(role=Role.LEGAL, other_approvers=()),
    ),
)
TODAY = date(2026, 12, 1)


def test_only_the_manager_proposes_one_variation_at_a_time() -> None:
    assert proposal_refusal(MANAGER, MANAGER) == ""
    assert proposal_refusal(BUYER, MANAGER)
    assert proposal_conflict("PR-1", EndState()) == ""
    assert "variation 2" in proposal_conflict("PR-1", PENDING)


def test_approvers_give_the_open_approvals_of_their_roles() -> None:
    assert approval_roles(PENDING, BUYER, [Role.PROCUREMENT], REQUESTER) == (Role.PROCUREMENT,)
    both = approval_roles(PENDING, BUYER, [Role.PROCUREMENT, Role.LEGAL], REQUESTER)
    assert both == (Role.PROCUREMENT, Role.LEGAL)
    assert approval_roles(PENDING, MANAGER, [Role.PROCUREMENT], REQUESTER) == ()
    assert approval_roles(PENDING, REQUESTER, [Role.LEGAL], REQUESTER) == ()
    assert approval_refusal(EndState(), BUYER, [Role.PROCUREMENT], REQUESTER)
    assert approval_refusal(PENDING, BUYER, [Role.AUDITOR], REQUESTER)
    assert approval_refusal(PENDING, LAWYER, [Role.LEGAL], REQUESTER) == ""


def test_the_end_is_decided_once_and_the_notice_recorded_once_after_it() -> None:
    assert (
        end_refusal(MANAGER, [], MANAGER) == "" and end_refusal(BUYER, [Role.PROCUREMENT], 9) == ""
    )
    assert end_refusal(LAWYER, [Role.LEGAL], MANAGER)
    assert expiry_conflict(EndState(expiry_decided=True))
    assert notice_refusal(REQUESTER, [Role.REQUESTER], MANAGER)
    assert "not ended" in notice_conflict("PR-1", EndState())
    assert notice_conflict("PR-1", EndState(ended=True)) == ""
    assert notice_conflict("PR-1", EndState(ended=True, notice_published=True))


def facts(**overrides: object) -> EndFacts:
    """A contract managed by MANAGER on a case requested by REQUESTER."""
    fields: dict[str, object] = {
        "case_id": 7,
        "reference": "PR-2026-0007",
        "title": "Waste collection",
        "requester_id": REQUESTER,
        "manager_id": MANAGER,
        "state": EndState(),
    }
    return EndFacts(**(fields | overrides))  # type: ignore[arg-type]


def kinds(each: EndFacts, who: int, *roles: Role) -> list[TaskKind]:
    """The kinds of task `each` puts on this person."""
    return [task.kind for task in end_tasks(each, Person(id=who, roles=frozenset(roles)), TODAY)]


def test_waiting_on_me() -> None:
    proposed = facts(
        state=PENDING,
        variation_proposed_at=datetime(2026, 11, 20, tzinfo=UTC),
        variation_due_on=date(2026, 11, 27),
    )
    assert kinds(proposed, BUYER, Role.PROCUREMENT) == [TaskKind.DECIDE_VARIATION]
    assert kinds(proposed, MANAGER, Role.PROCUREMENT, Role.CONTRACT_MANAGER) == []
    [overdue] = end_tasks(proposed, Person(id=LAWYER, roles=frozenset({Role.LEGAL})), TODAY)
    assert overdue.overdue and overdue.action == "Decide variation 2 (legal)"

    asked = facts(
        end_date=date(2027, 8, 31),
        first_alert_on=date(2026, 11, 30),
        escalates_on=date(2027, 5, 31),
    )
    assert kinds(asked, MANAGER, Role.CONTRACT_MANAGER) == [TaskKind.DECIDE_EXPIRY]
    assert kinds(asked, BUYER, Role.PROCUREMENT) == [TaskKind.DECIDE_EXPIRY]
    assert kinds(asked, LAWYER, Role.LEGAL) == []
    decided = facts(
        end_date=date(2027, 8, 31),
        first_alert_on=date(2026, 11, 30),
        state=EndState(expiry_decided=True),
    )
    assert kinds(decided, MANAGER, Role.CONTRACT_MANAGER) == []

    ended = facts(
        state=EndState(ended=True), ended_on=date(2026, 10, 1), notice_due_on=date(2026, 10, 30)
    )
    [notice] = end_tasks(ended, Person(id=BUYER, roles=frozenset({Role.PROCUREMENT})), TODAY)
    assert notice.kind is TaskKind.PUBLISH_TERMINATION_NOTICE and notice.overdue
