"""Loading the work a live contract's changes and end put on a person, for "waiting on me":
three bounded queries whatever the number of contracts (variation approvals in the person's
roles, expiry decisions asked for, termination notices not yet recorded), whose rows
`lifecycle.contract_end.end_tasks` turns into tasks."""

from sqlalchemy import and_
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.contract_end import EndFacts, EndState, OpenApproval, end_tasks
from lifecycle.expiry import alert_due, earliest_alert_horizon, lead_dates, months_before
from lifecycle.expiry import notice_due_on as notice_deadline
from lifecycle.models import Case, Contract, ExpiryDecision, User, Variation, VariationApproval
from lifecycle.rules import Role, Route, Stage, Status
from lifecycle.services import users, variations
from lifecycle.settings import Settings
from lifecycle.variations import ApprovalStatus, VariationStatus
from lifecycle.worklist import Person, Task


def _approvals(session: Session, me: User, roles: set[Role], limit: int) -> list[EndFacts]:
    """Pending variations with an open approval in one of `me`'s roles, oldest first."""
    if not roles & {Role.PROCUREMENT, Role.LEGAL}:
        return []
    rows = session.exec(
        select(Case, Variation)
        .join(Variation, col(Variation.case_id) == col(Case.id))
        .where(
            col(Variation.status) == VariationStatus.PENDING.value,
            col(Variation.proposed_by) != me.id,
            col(Case.requester_id) != me.id,
            col(Variation.id).in_(
                select(VariationApproval.variation_id).where(
                    col(VariationApproval.status) == ApprovalStatus.PENDING.value,
                    col(VariationApproval.role).in_([role.value for role in roles]),
                )
            ),
        )
        .order_by(col(Variation.proposed_at))
        .limit(limit)
    ).all()
    ids = [variation.id for _, variation in rows]
    approvals = session.exec(
        select(VariationApproval).where(col(VariationApproval.variation_id).in_(ids))
    ).all()
    found = []
    for case, variation in rows:
        mine = [row for row in approvals if row.variation_id == variation.id]
        open_ = tuple(
            OpenApproval(
                role=Role(row.role),
                other_approvers=variations.other_approvers(mine, row),
            )
            for row in mine
            if row.status == ApprovalStatus.PENDING.value
        )
        assert case.id is not None
        found.append(
            EndFacts(
                case_id=case.id,
                reference=case.reference,
                title=case.title,
                requester_id=case.requester_id,
                manager_id=case.contract_manager_id,
                state=EndState(
                    pending_variation=variation.number,
                    proposer_id=variation.proposed_by,
                    open_approvals=open_,
                ),
                variation_proposed_at=variation.proposed_at,
                variation_due_on=min((row.due_on for row in mine), default=None),
            )
        )
    return found


def _theirs(me: User, roles: set[Role]) -> list[object]:
    """Procurement sees every contract's end; a manager their own."""
    return [] if Role.PROCUREMENT in roles else [col(Case.contract_manager_id) == me.id]


def _expiries(
    session: Session, me: User, roles: set[Role], settings: Settings, limit: int
) -> list[EndFacts]:
    """Contracts whose expiry decision is asked for (an alert has gone) and not taken."""
    today, leads = clock.today(), settings.expiry_lead_months
    rows = session.exec(
        select(Case, Contract)
        .join(Contract, col(Contract.case_id) == col(Case.id))
        .outerjoin(
            ExpiryDecision,
            and_(
                col(ExpiryDecision.case_id) == col(Case.id),
                col(ExpiryDecision.end_date) == col(Contract.end_date),
            ),
        )
        .where(
            col(Case.stage) == Stage.MONITORING.value,
            col(Case.status) != Status.CLOSED.value,
            col(Contract.end_date) <= earliest_alert_horizon(today, leads),
            col(ExpiryDecision.id).is_(None),
            *_theirs(me, roles),  # type: ignore[arg-type]
        )
        .order_by(col(Contract.end_date))
        .limit(limit)
    ).all()
    found = []
    for case, contract in rows:
        if alert_due(contract.end_date, today, leads) is None:
            continue
        assert case.id is not None
        found.append(
            EndFacts(
                case_id=case.id,
                reference=case.reference,
                title=case.title,
                requester_id=case.requester_id,
                manager_id=case.contract_manager_id,
                state=EndState(),
                end_date=contract.end_date,
                first_alert_on=lead_dates(contract.end_date, leads)[0][1],
                escalates_on=months_before(contract.end_date, min(leads)),
            )
        )
    return found


def _notices(
    session: Session, me: User, roles: set[Role], settings: Settings, limit: int
) -> list[EndFacts]:
    """Ended contracts whose termination notice is not yet recorded, oldest end first."""
    rows = session.exec(
        select(Case, Contract)
        .join(Contract, col(Contract.case_id) == col(Case.id))
        .where(
            col(Contract.ended_on).is_not(None),
            col(Contract.termination_notice_published_on).is_(None),
            # s.80 notices are for contracts procured under the Act's full regime (UK11 in
            # lifecycle/notices.py): none is asked of a quote or a below-threshold contract.
            Case.route == Route.ABOVE_THRESHOLD.value,
            *_theirs(me, roles),  # type: ignore[arg-type]
        )
        .order_by(col(Contract.ended_on))
        .limit(limit)
    ).all()
    found = []
    for case, contract in rows:
        assert case.id is not None and contract.ended_on is not None
        found.append(
            EndFacts(
                case_id=case.id,
                reference=case.reference,
                title=case.title,
                requester_id=case.requester_id,
                manager_id=case.contract_manager_id,
                state=EndState(ended=True),
                ended_on=contract.ended_on,
                notice_due_on=notice_deadline(contract.ended_on, settings.termination_notice_days),
            )
        )
    return found


def tasks_for(session: Session, *, me: User, settings: Settings, limit: int) -> list[Task]:
    """The oldest `limit` of each kind of this work waiting on `me`."""
    assert me.id is not None
    roles = set(users.roles_of(me))
    if not roles & {Role.PROCUREMENT, Role.LEGAL, Role.CONTRACT_MANAGER}:
        return []
    person = Person(id=me.id, roles=frozenset(roles))
    facts = [
        *_approvals(session, me, roles, limit),
        *_expiries(session, me, roles, settings, limit),
        *_notices(session, me, roles, settings, limit),
    ]
    return [task for each in facts for task in end_tasks(each, person, clock.today())]
