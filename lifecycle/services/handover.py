"""Handing a contract manager's live contracts to a successor: when they leave (deactivated in
the same step) or change role. Each case records both names in its history, its register entry
follows, the successor is told, and a successor without the training a large or key contract
needs raises that need."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from lifecycle.access import Area, refusal
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.handover import handover_refusal, successor_problem
from lifecycle.models import Case, User, utcnow
from lifecycle.rules import Status
from lifecycle.services import audit, outbox, register, training, users
from lifecycle.settings import Settings
from notifications import Notification


@dataclass(frozen=True)
class Handover:
    """What a handover did: from whom, to whom, which cases, and whether the leaver is off."""

    leaver: User
    successor: User
    cases: list[Case]
    deactivated: bool


def live_contracts(session: Session, *, manager_id: int) -> list[Case]:
    """The cases not yet closed that this person manages, oldest first."""
    return list(
        session.exec(
            select(Case)
            .where(Case.contract_manager_id == manager_id, Case.status != Status.CLOSED.value)
            .order_by(col(Case.id))
        )
    )


def _successor(session: Session, *, leaver: User, successor_id: int) -> User:
    """The named successor, refused unless active, a contract manager, and someone else."""
    assert leaver.id is not None
    successor = session.get(User, successor_id)
    if successor is None:  # refused like any unsuitable one: ids cannot be probed
        raise Invalid("the successor must hold the contract_manager role", field="to_user_id")
    assert successor.id is not None
    problem = successor_problem(
        leaver.id, successor.id, successor.active, users.roles_of(successor)
    )
    if problem:
        raise Invalid(problem, field="to_user_id")
    return successor


def _hand_over_case(
    session: Session, *, by: User | None, case: Case, leaver: User, successor: User
) -> None:
    """One case changes manager: its history, its register entry and the successor's mail."""
    case.contract_manager_id = successor.id
    case.updated_at = utcnow()
    session.add(case)
    event = audit.record(
        session,
        case=case,
        actor_id=by.id if by else None,
        action="contract_handed_over",
        from_manager_id=leaver.id,
        from_manager=leaver.name,
        to_manager_id=successor.id,
        to_manager=successor.name,
    )
    outbox.enqueue_mail(
        session,
        key=f"handover:{event.id}",
        case=case,
        notification=Notification.MANAGER_NAMED,
        to=[successor],
        manager_name=successor.name,
        named_by=f"{by.name if by else 'An administrator'} (taking over from {leaver.name})",
        key_contract=case.key_contract,
    )
    register.name_manager(session, case=case, manager=successor)


def hand_over(
    session: Session,
    *,
    by: User | None,
    leaver_id: int,
    successor_id: int,
    case_id: int | None = None,
    deactivate: bool = False,
    settings: Settings,
) -> Handover:
    """Hand the leaver's live contracts (or only `case_id`) to the successor; with
    `deactivate`, switch the leaver off in the same step (admins only; `by` None is the
    command line, run by whoever runs the server)."""
    if by is not None:
        roles = users.roles_of(by)
        if deactivate and (refused := refusal(roles, Area.MANAGE_USERS)):
            raise Forbidden(refused)
        if refused := handover_refusal(by.id, roles, leaver_id):
            raise Forbidden(refused)
    leaver = session.get(User, leaver_id)
    if leaver is None:
        raise NotFound("no such contract manager", field="from_user_id")
    if deactivate and not leaver.active:
        raise Conflict(f"{leaver.name} is already deactivated")
    successor = _successor(session, leaver=leaver, successor_id=successor_id)
    assert leaver.id is not None
    cases = live_contracts(session, manager_id=leaver.id)
    if case_id is not None:
        cases = [case for case in cases if case.id == case_id]
        if not cases:
            raise Conflict(
                f"{leaver.name} does not manage that case, or it is closed", field="case_id"
            )
    if not cases and not deactivate:
        raise Conflict(f"{leaver.name} manages no live contracts to hand over")
    for case in cases:
        _hand_over_case(session, by=by, case=case, leaver=leaver, successor=successor)
        training.check_case(session, case=case, settings=settings)
    if cases:
        audit.record(
            session,
            case=None,
            actor_id=by.id if by else None,
            action="contracts_handed_over",
            user_id=leaver.id,
            from_manager=leaver.name,
            to_manager_id=successor.id,
            to_manager=successor.name,
            cases=[case.reference for case in cases],
        )
    if deactivate:
        _switch_off(session, by=by, leaver=leaver)
    return Handover(leaver=leaver, successor=successor, cases=cases, deactivated=deactivate)


def _switch_off(session: Session, *, by: User | None, leaver: User) -> None:
    """Deactivate the leaver now their contracts have a manager (the page's and the API's path
    keep their own checks: nobody switches themselves off)."""
    if by is None:
        users.deactivate(session, email=leaver.email)
        return
    assert leaver.id is not None
    users.switch_off(session, by=by, user_id=leaver.id)
