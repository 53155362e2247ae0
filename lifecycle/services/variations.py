"""Variations: the contract manager proposes a change to a live contract; procurement (and
legal, where lifecycle/variations.py says so) approve it; once every approval is given the
contract and its register entry change, the history keeping the values before and after.
Approvals are rows of their own, not the case's stage gates: deciding one never moves the
case through its stages (a stage gate's approval advances the case; a variation's must not)."""

from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.calendar import add_working_days
from lifecycle.contract_end import EndState, proposal_conflict, proposal_refusal
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.guards import monitoring_conflict
from lifecycle.models import Case, Contract, User, Variation, VariationApproval, utcnow
from lifecycle.rules import Category, Role, Stage, Status, procurement_threshold
from lifecycle.schemas import VariationDecisionIn, VariationIn
from lifecycle.services import audit, delegations, outbox, register, training, users
from lifecycle.services.cases import gbp, thresholds
from lifecycle.services.signing import get_contract
from lifecycle.settings import Settings
from lifecycle.variations import (
    ApprovalStatus,
    Change,
    Limits,
    VariationStatus,
    approval_rule,
    approvals_needed,
    change_problem,
    outcome,
)
from notifications import Notification

LABEL = "contract variation"


def limits(settings: Settings) -> Limits:
    """The s.74 limits from settings."""
    return Limits(
        value_percent_goods_services=settings.variation_value_percent_goods_services,
        value_percent_works=settings.variation_value_percent_works,
        term_percent=settings.variation_term_percent,
    )


def contract_value(session: Session, *, case: Case) -> int:
    """The contract's whole-life value now: its register entry's, which variations keep
    current, or the awarded price where there is no entry."""
    assert case.id is not None
    entry = register.get_entry(session, case_id=case.id)
    return entry.value_pence if entry else training.contract_value(session, case)


def _approved(session: Session, case_id: int) -> list[Variation]:
    """The case's applied variations, oldest first."""
    return list(
        session.exec(
            select(Variation)
            .where(Variation.case_id == case_id, Variation.status == VariationStatus.APPROVED)
            .order_by(col(Variation.number))
        )
    )


def _live(session: Session, case: Case) -> Contract:
    """The contract of a case in monitoring: variations are of live contracts."""
    assert case.id is not None
    contract = get_contract(session, case_id=case.id)
    if conflict := monitoring_conflict(
        case.reference, Stage(case.stage), Status(case.status), contract is not None
    ):
        raise Conflict(conflict)
    assert contract is not None
    return contract


def propose(
    session: Session, *, case: Case, user: User, variation: VariationIn, settings: Settings
) -> Variation:
    """The manager proposes a change; the approvals it needs open and their deciders are told."""
    if refusal := proposal_refusal(user.id, case.contract_manager_id):
        raise Forbidden(refusal)
    contract = _live(session, case)
    assert case.id is not None and user.id is not None
    pending = session.exec(
        select(Variation.number).where(
            Variation.case_id == case.id, Variation.status == VariationStatus.PENDING
        )
    ).first()
    if conflict := proposal_conflict(case.reference, EndState(pending_variation=pending)):
        raise Conflict(conflict)
    value_now = contract_value(session, case=case)
    problem, field = change_problem(
        value_change_pence=variation.value_change_pence,
        new_end_date=variation.new_end_date,
        value_now_pence=value_now,
        start_date=contract.start_date,
        end_date=contract.end_date,
    )
    if problem:
        raise Invalid(problem, field=field)
    earlier = _approved(session, case.id)
    # As awarded: before the first variation applied, if any was.
    first = earlier[0] if earlier else None
    award_value = first.value_before_pence if first and first.value_before_pence else value_now
    award_end = first.end_date_before if first and first.end_date_before else contract.end_date
    # A contract imported without its category is judged by the stricter limits (services').
    category = Category(case.category) if case.category else Category.SERVICES
    needed = approvals_needed(
        Change(
            category=category,
            award_value_pence=award_value,
            value_change_pence=variation.value_change_pence,
            earlier_changes_pence=sum(abs(each.value_change_pence) for each in earlier),
            start_date=contract.start_date,
            award_end_date=award_end,
            new_end_date=variation.new_end_date,
            threshold_pence=procurement_threshold(thresholds(settings), category, case.light_touch),
            value_now_pence=value_now,
        ),
        limits(settings),
    )
    number = (
        session.exec(select(func.max(Variation.number)).where(Variation.case_id == case.id)).one()
        or 0
    ) + 1
    row = Variation(
        case_id=case.id,
        number=number,
        what=variation.what,
        why=variation.why,
        value_change_pence=variation.value_change_pence,
        new_end_date=variation.new_end_date,
        legal_because="; ".join(needed.legal_because),
        proposed_by=user.id,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    due_on = add_working_days(clock.today(), settings.gate_sla_working_days)
    for role in needed.roles:
        session.add(
            VariationApproval(variation_id=row.id, case_id=case.id, role=role.value, due_on=due_on)
        )
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="variation_proposed",
        variation=number,
        what=variation.what,
        value_change_pence=variation.value_change_pence,
        new_end_date=variation.new_end_date,
        approvals=[role.value for role in needed.roles],
        legal_because=row.legal_because or None,
    )
    for role in needed.roles:
        outbox.enqueue_mail(
            session,
            key=f"variation:{row.id}:{role.value}:opened",
            case=case,
            notification=Notification.GATE_OPENED,
            to=deciders(session, case=case, variation=row, role=role),
            gate_label=f"{LABEL} {number} ({role.value})",
            role=role.value,
            due_on=due_on.isoformat(),
            value_gbp=gbp(value_now + variation.value_change_pence),
            requester_name=user.name,
        )
    return row


def deciders(session: Session, *, case: Case, variation: Variation, role: Role) -> list[User]:
    """Who may give this approval: holders of the role but the proposer, the requester and
    whoever gave another approval of it (in person, or through a delegate)."""
    gave = {
        given for row in approvals(session, variation_id=variation.id or 0) for given in _gave(row)
    }
    return _eligible(users.with_role(session, role=role), case, variation, role, gave)


def _gave(row: VariationApproval) -> set[tuple[str, int]]:
    """(role, person) for who gave this approval: the officer, and whom a delegate gave it for."""
    return {(row.role, person) for person in (row.decided_by, row.decided_for) if person}


def _eligible(
    holders: list[User],
    case: Case,
    variation: Variation,
    role: Role,
    gave: set[tuple[str, int]],
) -> list[User]:
    """The role's holders who may give this approval, given who gave which approvals of it."""
    other = {person for given_role, person in gave if given_role != role.value}
    barred = {variation.proposed_by, case.requester_id} | other
    return [person for person in holders if person.id not in barred]


def get(session: Session, *, case: Case, variation_id: int) -> Variation:
    """One variation of this case."""
    row = get_row(session, Variation, variation_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"case {case.reference} has no such variation", field="id")
    return row


def list_(session: Session, *, case_id: int) -> list[Variation]:
    """A case's variations, oldest first."""
    return list(
        session.exec(
            select(Variation).where(Variation.case_id == case_id).order_by(col(Variation.number))
        )
    )


def approvals(session: Session, *, variation_id: int) -> list[VariationApproval]:
    """A variation's approvals, procurement's first."""
    return list(
        session.exec(
            select(VariationApproval)
            .where(VariationApproval.variation_id == variation_id)
            .order_by(col(VariationApproval.id))
        )
    )


def other_approvers(
    rows: Sequence[VariationApproval], approval: VariationApproval | None
) -> tuple[int, ...]:
    """Who gave the variation's other approvals, in person or through a delegate: none of
    them gives this one (one officer never gives both)."""
    return tuple(
        person
        for row in rows
        if row is not approval
        for person in (row.decided_by, row.decided_for)
        if person is not None
    )


# A variation's approvals, the one of a role (None when it needs none), and who may give it.
Approvals = tuple[
    list[VariationApproval], VariationApproval | None, Callable[[int, Sequence[Role]], str]
]


def _rule(session: Session, *, case: Case, variation: Variation, role: Role) -> Approvals:
    """The variation's approvals, the one of `role`, and the rule for who may give it
    (lifecycle.variations.approval_rule)."""
    rows = approvals(session, variation_id=variation.id or 0)
    approval = next((row for row in rows if row.role == role.value), None)
    rule = approval_rule(
        role, variation.proposed_by, case.requester_id, other_approvers(rows, approval)
    )
    return rows, approval, rule


def stand_in_for(
    session: Session, *, case: Case, variation: Variation, role: Role, me: User
) -> list[User]:
    """The colleagues away for whom `me` may give this approval by delegation (for the case
    page's choice), segregation of duties checked for both."""
    _, _, rule = _rule(session, case=case, variation=variation, role=role)
    return delegations.covered_colleagues(session, me=me, role=role.value, own=rule)


def decide(
    session: Session,
    *,
    case: Case,
    variation: Variation,
    user: User,
    decision: VariationDecisionIn,
) -> Variation:
    """Give or refuse one approval; the last approval applies the change, a refusal ends it."""
    assert user.id is not None
    role = Role(decision.role)
    rows, approval, own = _rule(session, case=case, variation=variation, role=role)
    behalf = None  # the colleague a delegate gives it for, segregation checked for both
    if decision.on_behalf_of is not None:
        behalf = delegations.delegator_for(
            session,
            user=user,
            delegator_id=decision.on_behalf_of,
            role=role.value,
            own=own,
            what="this approval",
        )
    elif refusal := own(user.id, users.roles_of(user)):
        raise Forbidden(refusal)
    if approval is None:
        raise Invalid(f"variation {variation.number} needs no {role.value} approval", field="role")
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(
            f"the {role.value} approval of variation {variation.number} was already "
            f"{'decided' if approval.status == ApprovalStatus.DECIDED else 'ended'}"
        )
    # The conditional update is the lock: of two concurrent decisions only one changes a row.
    claimed = session.execute(
        update(VariationApproval)
        .where(
            col(VariationApproval.id) == approval.id,
            col(VariationApproval.status) == ApprovalStatus.PENDING,
        )
        .values(
            status=ApprovalStatus.DECIDED.value,
            decision=decision.decision,
            reason=decision.reason or None,
            decided_by=user.id,
            decided_for=behalf.id if behalf else None,
            decided_at=utcnow(),
        )
    ).rowcount  # type: ignore[attr-defined]
    if claimed != 1:
        raise Conflict(f"the {role.value} approval was decided by someone else just now")
    for row in rows:
        session.refresh(row)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="variation_decided",
        variation=variation.number,
        role=role.value,
        decision=decision.decision,
        reason=decision.reason or None,
        on_behalf_of=behalf.id if behalf else None,
        on_behalf_of_name=behalf.name if behalf else None,
    )
    settled = outcome([row.decision for row in rows], [row.status for row in rows])
    if settled is VariationStatus.APPROVED:
        _apply(session, case=case, variation=variation, actor_id=user.id)
    elif settled is VariationStatus.REJECTED:
        _reject(session, case=case, variation=variation, rows=rows)
    else:
        return variation
    outbox.enqueue_mail(
        session,
        key=f"variation:{variation.id}:decided",
        case=case,
        notification=Notification.GATE_DECIDED,
        to=users.case_people(session, case=case).everyone,
        gate_label=f"{LABEL} {variation.number}",
        decision=decision.decision,
        decided_by=f"{user.name} on behalf of {behalf.name}" if behalf else user.name,
        reason=decision.reason,
        next_step=(
            "The contract and its register entry now show the change."
            if settled is VariationStatus.APPROVED
            else "Nothing about the contract changes."
        ),
    )
    return variation


def _reject(
    session: Session, *, case: Case, variation: Variation, rows: list[VariationApproval]
) -> None:
    """A refused variation changes nothing; approvals still open are no longer needed."""
    for row in rows:
        if row.status == ApprovalStatus.PENDING:
            row.status = ApprovalStatus.CANCELLED.value
            session.add(row)
    variation.status = VariationStatus.REJECTED.value
    variation.settled_at = utcnow()
    session.add(variation)
    audit.record(
        session, case=case, actor_id=None, action="variation_rejected", variation=variation.number
    )


def _apply(session: Session, *, case: Case, variation: Variation, actor_id: int) -> None:
    """Every approval is given: the contract's end date and value, and its register entry,
    change; the variation and the history keep what they were."""
    assert case.id is not None
    contract = _live(session, case)
    entry = register.get_entry(session, case_id=case.id)
    value_before = contract_value(session, case=case)
    variation.value_before_pence = value_before
    variation.value_after_pence = value_before + variation.value_change_pence
    variation.end_date_before = contract.end_date
    variation.end_date_after = variation.new_end_date or contract.end_date
    variation.status = VariationStatus.APPROVED.value
    variation.settled_at = utcnow()
    session.add(variation)
    contract.end_date = variation.end_date_after
    session.add(contract)
    if entry is not None:
        entry.value_pence = variation.value_after_pence
        entry.end_date = variation.end_date_after
        entry.updated_at = utcnow()
        session.add(entry)
    audit.record(
        session,
        case=case,
        actor_id=actor_id,
        action="variation_applied",
        variation=variation.number,
        value_before_pence=variation.value_before_pence,
        value_after_pence=variation.value_after_pence,
        end_date_before=variation.end_date_before,
        end_date_after=variation.end_date_after,
    )


def remind_overdue(session: Session, *, settings: Settings) -> int:
    """Remind the approvers of variation approvals past their due date (once each), and
    escalate to the admins once one is `gate_escalation_working_days` overdue, as for a stage
    gate. Set-based: one read of the overdue approvals, then a mail only where one is due."""
    today = clock.today()
    rows = session.exec(
        select(VariationApproval, Variation, Case)
        .join(Variation, col(Variation.id) == col(VariationApproval.variation_id))
        .join(Case, col(Case.id) == col(VariationApproval.case_id))
        .where(
            col(VariationApproval.status) == ApprovalStatus.PENDING.value,
            col(VariationApproval.due_on) < today,
        )
    ).all()
    if not rows:
        return 0
    # Everything the reminders need, read once for all of them: the role holders, the
    # approvals already given, and the mail already queued.
    admins = users.with_role(session, role=Role.ADMIN)
    holders = {
        role: users.with_role(session, role=role) for role in {Role(a.role) for a, _, _ in rows}
    }
    gave: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for given in session.exec(
        select(VariationApproval).where(
            col(VariationApproval.variation_id).in_({variation.id for _, variation, _ in rows}),
            col(VariationApproval.decided_by).is_not(None),
        )
    ):
        gave[given.variation_id] |= _gave(given)
    kinds = ("reminder", "escalation")
    queued = outbox.present_keys(
        session,
        full_keys=[
            f"{case.reference}:variation:{variation.id}:{approval.role}:{kind}"
            for approval, variation, case in rows
            for kind in kinds
        ],
    )
    added = 0
    for approval, variation, case in rows:
        role = Role(approval.role)
        people = _eligible(holders[role], case, variation, role, gave[variation.id or 0])
        late = today > add_working_days(approval.due_on, settings.gate_escalation_working_days)
        for kind, to in (("reminder", people), ("escalation", people + admins if late else [])):
            key = f"variation:{variation.id}:{approval.role}:{kind}"
            if f"{case.reference}:{key}" in queued:
                continue
            if outbox.enqueue_mail(
                session,
                key=key,
                case=case,
                notification=Notification.GATE_REMINDER,
                to=to,
                gate_label=f"{LABEL} {variation.number} ({approval.role})",
                opened_on=clock.london_date(variation.proposed_at).isoformat(),
                due_on=approval.due_on.isoformat(),
            ):
                added += 1
    return added
