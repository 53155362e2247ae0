"""Training records, and the training needs of the managers of large or complex contracts:
raised when such a contract's manager is not trained (named so, or their training lapsed),
met when a record that counts is kept. Procurement and admins record training."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, or_, select

from lifecycle import clock
from lifecycle.access import Area, may_enter, refusal
from lifecycle.errors import Forbidden, Invalid, NotFound
from lifecycle.models import Bid, Case, RegisterEntry, TrainingNeed, TrainingRecord, User, utcnow
from lifecycle.rules import Role, Stage, Status
from lifecycle.schemas import TrainingRecordIn
from lifecycle.services import audit, outbox, users
from lifecycle.settings import Settings
from lifecycle.training import trained_on, training_need
from notifications import Notification

# Register entries whose value is the contract's: published ones (kept current by variations).
VALUED = ("published", "ended")
# Stages in which a contract has (or may have) its named manager: from signing to its exit.
MANAGED = (
    Stage.SIGNING.value,
    Stage.REGISTER_ENTRY.value,
    Stage.MONITORING.value,
    Stage.EXIT.value,
)


@dataclass(frozen=True)
class OpenNeed:
    """Who needs training, for which contract, why and since when."""

    case_id: int
    reference: str
    title: str
    manager_id: int
    manager_name: str
    why: str
    since: datetime


def record(
    session: Session, *, by: User, training: TrainingRecordIn, settings: Settings
) -> TrainingRecord:
    """Keep a training record, and meet the needs it now answers."""
    if refused := refusal(users.roles_of(by), Area.RECORD_TRAINING):
        raise Forbidden(refused)
    person = users.get(session, user_id=training.user_id)
    if training.completed_on > clock.today():
        raise Invalid("completed_on cannot be in the future", field="completed_on")
    assert by.id is not None and person.id is not None
    row = TrainingRecord(**training.model_dump(), recorded_by=by.id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        case=None,
        actor_id=by.id,
        action="training_recorded",
        user_id=person.id,
        course=row.course,
        valid_until=row.valid_until,
    )
    for case in _managed_by(session, person.id):
        check_case(session, case=case, settings=settings)
    return row


def records(session: Session, *, reader: User, user_id: int | None = None) -> list[TrainingRecord]:
    """Training records, newest first: everyone's for procurement, admins and auditors, and
    each person's own for everyone else (another's is not found)."""
    everyone = may_enter(users.roles_of(reader), Area.READ_ALL_TRAINING)
    if not everyone and user_id not in (None, reader.id):
        raise NotFound(f"no training records for user {user_id}", field="user_id")
    query = select(TrainingRecord)
    if not everyone:
        query = query.where(TrainingRecord.user_id == reader.id)
    elif user_id is not None:
        query = query.where(TrainingRecord.user_id == user_id)
    return list(session.exec(query.order_by(col(TrainingRecord.completed_on).desc())))


def _managed_by(session: Session, manager_id: int) -> list[Case]:
    """The contracts this person manages now."""
    return list(
        session.exec(
            select(Case).where(
                Case.contract_manager_id == manager_id,
                col(Case.stage).in_(MANAGED),
                Case.status != Status.CLOSED.value,
            )
        )
    )


def _trained(session: Session, user_id: int, day: date) -> bool:
    """Whether the person holds training that counts on `day`."""
    rows = session.exec(
        select(col(TrainingRecord.completed_on), col(TrainingRecord.valid_until)).where(
            TrainingRecord.user_id == user_id
        )
    ).all()
    return trained_on(rows, day)


def check_case(session: Session, *, case: Case, settings: Settings) -> TrainingNeed | None:
    """Raise the need when the contract needs a trained manager and its manager is not (the
    manager and procurement are told), or meet it when they are. Returns a need raised now."""
    assert case.id is not None
    need = session.exec(
        select(TrainingNeed).where(
            TrainingNeed.case_id == case.id, col(TrainingNeed.met_at).is_(None)
        )
    ).first()
    manager_id = case.contract_manager_id
    trained = manager_id is not None and _trained(session, manager_id, clock.today())
    return _settle(
        session,
        case=case,
        need=need,
        value=contract_value(session, case),
        trained=trained,
        settings=settings,
    )


def _wanted(
    *,
    key_contract: bool,
    manager_id: int | None,
    status: str,
    value: int,
    trained: bool,
    settings: Settings,
) -> str:
    """Why the contract needs a trained manager it lacks today ("" when it does not)."""
    why = training_need(key_contract, value, settings.trained_manager_threshold_pence)
    if manager_id is None or status == Status.CLOSED.value or trained:
        return ""
    return why


def _settle(
    session: Session,
    *,
    case: Case,
    need: TrainingNeed | None,
    value: int,
    trained: bool,
    settings: Settings,
) -> TrainingNeed | None:
    """Raise or meet the case's need, given its open need, its contract's value and whether
    its manager's training counts today. Returns a need raised now."""
    manager_id = case.contract_manager_id
    why = _wanted(
        key_contract=case.key_contract,
        manager_id=manager_id,
        status=case.status,
        value=value,
        trained=trained,
        settings=settings,
    )
    if why and need is not None and need.manager_id == manager_id:
        return None
    if need is not None:
        need.met_at = utcnow()
        session.add(need)
        if not why:  # met; when another manager was named since, their own need follows
            audit.record(
                session,
                case=case,
                actor_id=None,
                action="training_need_met",
                manager_id=need.manager_id,
            )
    if why and manager_id is not None:
        return _raise(session, case=case, manager_id=manager_id, why=why)
    return None


def contract_value(session: Session, case: Case) -> int:
    """The contract's whole-life value as the register gives it: its published entry's (which
    approved variations and imports keep current), else the awarded bid's price once there is
    one, the request's estimate until then."""
    published = session.exec(
        select(RegisterEntry.value_pence).where(
            RegisterEntry.case_id == case.id, col(RegisterEntry.status).in_(VALUED)
        )
    ).first()
    if published is not None:
        return published
    if case.awarded_bid_id is not None:
        price = session.exec(select(Bid.price_pence).where(Bid.id == case.awarded_bid_id)).first()
        if price is not None:
            return price
    return case.estimated_value_pence


def _raise(session: Session, *, case: Case, manager_id: int, why: str) -> TrainingNeed:
    """Open a need, note it in the case's history and tell the manager and procurement."""
    assert case.id is not None
    manager = users.get(session, user_id=manager_id)
    need = TrainingNeed(case_id=case.id, manager_id=manager_id, why=why)
    session.add(need)
    session.flush()
    message = (
        f"{manager.name} manages {why} without training that counts today: record their "
        "training (procurement) once they have it."
    )
    audit.record(
        session,
        case=case,
        actor_id=None,
        action="training_need_raised",
        manager_id=manager_id,
        why=why,
    )
    outbox.enqueue_mail(
        session,
        key=f"training-need:{need.id}",
        case=case,
        notification=Notification.CASE_FLAGGED,
        to=[manager, *users.with_role(session, role=Role.PROCUREMENT)],
        flag_message=message,
    )
    return need


def sweep(session: Session, *, settings: Settings) -> int:
    """The daily check of every managed contract, and of every case with a need still open
    (one closed since is met): lapsed training raises its need again, new training meets it.
    Set-based: three reads of plain columns whatever the number of contracts, and a case is
    loaded only where a need is raised or met. Returns how many needs are open after it."""
    trained = trained_managers(session, clock.today())
    open_by_case = {
        need.case_id: need
        for need in session.exec(select(TrainingNeed).where(col(TrainingNeed.met_at).is_(None)))
    }
    open_cases = select(TrainingNeed.case_id).where(col(TrainingNeed.met_at).is_(None))
    # SQLAlchemy's own select: sqlmodel's types stop at four columns.
    rows = session.execute(
        sa_select(
            col(Case.id),
            col(Case.key_contract),
            col(Case.contract_manager_id),
            col(Case.status),
            col(Case.estimated_value_pence),
            col(Bid.price_pence),
            col(RegisterEntry.value_pence),
        )
        .outerjoin(Bid, col(Bid.id) == Case.awarded_bid_id)
        .outerjoin(
            RegisterEntry,
            (col(RegisterEntry.case_id) == Case.id) & col(RegisterEntry.status).in_(VALUED),
        )
        .where(
            or_(
                col(Case.stage).in_(MANAGED)
                & (Case.status != Status.CLOSED.value)
                & col(Case.contract_manager_id).is_not(None),
                col(Case.id).in_(open_cases),
            )
        )
    ).all()
    for case_id, key_contract, manager_id, status, estimate, price, published in rows:
        need = open_by_case.get(case_id)
        value = published if published is not None else estimate if price is None else price
        is_trained = manager_id in trained
        why = _wanted(
            key_contract=key_contract,
            manager_id=manager_id,
            status=status,
            value=value,
            trained=is_trained,
            settings=settings,
        )
        if (why and need is not None and need.manager_id == manager_id) or (
            not why and need is None
        ):
            continue  # nothing to raise or meet
        case = session.get(Case, case_id)
        assert case is not None
        _settle(session, case=case, need=need, value=value, trained=is_trained, settings=settings)
    return int(
        session.exec(
            select(func.count()).select_from(TrainingNeed).where(col(TrainingNeed.met_at).is_(None))
        ).one()
    )


def open_needs(session: Session) -> list[OpenNeed]:
    """Who needs what training, for which contracts, since when; oldest first."""
    rows = session.exec(
        select(TrainingNeed, Case.reference, Case.title, User.name)
        .join(Case, col(Case.id) == TrainingNeed.case_id)
        .join(User, col(User.id) == TrainingNeed.manager_id)
        .where(col(TrainingNeed.met_at).is_(None))
        .order_by(col(TrainingNeed.raised_at))
    ).all()
    return [
        OpenNeed(need.case_id, reference, title, need.manager_id, name, need.why, need.raised_at)
        for need, reference, title, name in rows
    ]


def needs(session: Session, *, reader: User) -> list[OpenNeed]:
    """The open needs, for those who keep or check training."""
    if refused := refusal(users.roles_of(reader), Area.READ_ALL_TRAINING):
        raise Forbidden(refused)
    return open_needs(session)


def trained_managers(session: Session, day: date) -> set[int]:
    """The people whose training counts on `day` (for the assurance report)."""
    by_person: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for user_id, completed, until in session.exec(
        select(
            col(TrainingRecord.user_id),
            col(TrainingRecord.completed_on),
            col(TrainingRecord.valid_until),
        )
    ):
        by_person[user_id].append((completed, until))
    return {person for person, rows in by_person.items() if trained_on(rows, day)}
