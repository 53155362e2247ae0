"""Cases: raising a purchase request, reading, listing, changing and resubmitting it."""

from contextlib import suppress

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.access import Area, may_enter
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.guards import (
    manager_naming_conflict,
    manager_naming_refusal,
    request_change_conflict,
    request_change_refusal,
    resubmit_conflict,
    resubmit_refusal,
)
from lifecycle.models import Case, Gate, ReferenceCounter, User, utcnow
from lifecycle.rules import (
    Category,
    Role,
    RouteAdvice,
    Stage,
    Status,
    Thresholds,
    needs_contract,
    route_advice,
    route_for,
)
from lifecycle.schemas import PurchaseRequestChanges, PurchaseRequestIn
from lifecycle.services import audit, outbox, progress, register, training, users
from lifecycle.settings import Settings
from notifications import Notification


def thresholds(settings: Settings) -> Thresholds:
    """The routing thresholds from settings."""
    return Thresholds(
        quotes=settings.quotes_threshold_pence,
        advertised=settings.advertised_threshold_pence,
        goods_services=settings.goods_services_threshold_pence,
        works=settings.works_threshold_pence,
        light_touch=settings.light_touch_threshold_pence,
    )


def gbp(pence: int) -> str:
    """Pence as a pounds string, e.g. 250000000 -> '£2,500,000.00'."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _next_reference(session: Session, *, year: int, prefix: str) -> str:
    """PR-YYYY-NNNN, numbered per year; the increment is one atomic UPDATE."""
    if session.get(ReferenceCounter, year) is None:
        # The year's first case: two may race to create the counter; the loser's savepoint
        # rolls back and it takes the next number like everyone else.
        with suppress(IntegrityError), session.begin_nested():
            session.add(ReferenceCounter(year=year, last=0))
    bumped = session.execute(
        update(ReferenceCounter)
        .where(col(ReferenceCounter.year) == year)
        .values(last=col(ReferenceCounter.last) + 1)
        .returning(col(ReferenceCounter.last))
    ).scalar_one()
    return f"{prefix}-{year}-{bumped:04d}"


def create(
    session: Session, *, requester: User, request: PurchaseRequestIn, settings: Settings
) -> Case:
    """Raise a purchase request: route it by value, open the case and ask for its flow."""
    route = check_request(requester=requester, request=request, settings=settings).route
    year = clock.today().year
    reference = _next_reference(session, year=year, prefix=settings.reference_prefix)
    assert requester.id is not None
    case = Case(
        reference=reference,
        ocid=f"{settings.ocid_prefix}-{reference}",
        **request.model_dump(),
        route=route.value,
        contract=needs_contract(route, request.contract_required),
        stage=Stage.PURCHASE_REQUEST.value,
        status=Status.IN_PROGRESS.value,
        requester_id=requester.id,
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        case=case,
        actor_id=requester.id,
        action="case_created",
        to_stage=case.stage,
        to_status=case.status,
        route=route.value,
        estimated_value_pence=case.estimated_value_pence,
    )
    outbox.enqueue_flow(session, case=case, stage=Stage.PURCHASE_REQUEST, trigger="enter")
    return case


def get(session: Session, *, case_id: int) -> Case:
    """One case by id."""
    case = get_row(session, Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}", field="case_id")
    return case


def may_read(case: Case, user: User) -> bool:
    """Bids, documents and the timeline are not for every officer: a case is read by the
    people it names and by the teams that see every case."""
    return user.id in (case.requester_id, case.contract_manager_id) or may_enter(
        users.roles_of(user), Area.ALL_CASES
    )


def get_visible(session: Session, *, case_id: int, user: User) -> Case:
    """One case this user may read. A case they may not read is not found, in the same words
    as one that does not exist: the answer tells a stranger nothing about it."""
    case = get_row(session, Case, case_id)
    if case is None or not may_read(case, user):
        raise NotFound(f"no case with id {case_id}", field="case_id")
    return case


def get_for_change(session: Session, *, case_id: int, user: User | None) -> Case:
    """One case, locked for this transaction (PostgreSQL row lock; SQLite serialises writers
    anyway), so a decision and a stage flow cannot both act on what they read. For a person
    (`user`; None is the system), a case they may not read is not found before anything about
    its state is said: permission comes before existence and state."""
    if user is None:
        get(session, case_id=case_id)
    else:
        get_visible(session, case_id=case_id, user=user)
    case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).one()
    session.refresh(case)
    return case


def list_(
    session: Session,
    *,
    stage: Stage | None = None,
    status: Status | None = None,
    waiting_on: User | None = None,
    visible_to: User | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Case]:
    """Cases, newest first; `waiting_on` keeps those whose pending gate this user may decide,
    `visible_to` those this user may read."""
    query = select(Case).where(*_filters(stage=stage, status=status, visible_to=visible_to))
    if waiting_on is not None:
        roles = [role.value for role in users.roles_of(waiting_on)]
        query = query.where(
            col(Case.id).in_(
                select(Gate.case_id).where(Gate.status == "pending", col(Gate.role).in_(roles))
            ),
            Case.requester_id != waiting_on.id,
        )
    query = query.order_by(col(Case.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query))


def update_request(
    session: Session,
    *,
    case: Case,
    user: User,
    changes: PurchaseRequestChanges,
    settings: Settings,
) -> Case:
    """The requester changes the request after legal asked for changes; the route follows."""
    if refusal := request_change_refusal(user.id, case.requester_id):
        raise Forbidden(refusal)
    if conflict := request_change_conflict(Stage(case.stage), Status(case.status)):
        raise Conflict(conflict)
    values = changes.changes()
    if not values:
        raise Invalid("no changes were sent")
    if "needed_by" in values and values["needed_by"] < clock.today():
        raise Invalid("needed_by must not be in the past", field="needed_by")
    value = values.get("estimated_value_pence", case.estimated_value_pence)
    if values.get("irrecoverable_vat_pence", case.irrecoverable_vat_pence) > value:
        raise Invalid(
            "irrecoverable_vat_pence cannot exceed estimated_value_pence",
            field="irrecoverable_vat_pence",
        )
    before = {name: getattr(case, name) for name in values}
    for name, new in values.items():
        setattr(case, name, new)
    route = route_for(value, Category(case.category), case.light_touch, thresholds(settings))
    case.route = route.value
    # Legal is already consulting on a contract: a lower value does not undo that path.
    case.contract = case.contract or needs_contract(route, case.contract_required)
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="request_changed",
        before={k: str(v) for k, v in before.items()},
        after={k: str(v) for k, v in values.items()},
        route=route.value,
    )
    return case


def resubmit(session: Session, *, case: Case, user: User) -> Case:
    """Answer a request for changes: the stage flow runs again and reopens its gate."""
    conflict = resubmit_conflict(case.reference, Status(case.status))
    if conflict:
        raise Conflict(conflict)
    refused = resubmit_refusal(
        user.id, users.roles_of(user), case.requester_id, case.contract_manager_id
    )
    if refused:
        raise Forbidden(refused)
    progress.set_status(
        session, case=case, status=Status.IN_PROGRESS, actor_id=user.id, action="resubmitted"
    )
    outbox.enqueue_flow_again(session, case=case, stage=Stage(case.stage), why="resubmitted")
    return case


def name_contract_manager(
    session: Session, *, case: Case, user: User, manager_id: int, settings: Settings
) -> Case:
    """Name the officer who will manage the contract, and tell them; an untrained manager of a
    large or complex contract is allowed, and raises a training need."""
    if refusal := manager_naming_refusal(user.id, users.roles_of(user), case.requester_id):
        raise Forbidden(refusal)
    if conflict := manager_naming_conflict(case.reference, Stage(case.stage), Status(case.status)):
        raise Conflict(conflict)
    manager = users.get(session, user_id=manager_id)
    if not users.has_role(manager, Role.CONTRACT_MANAGER):
        raise Invalid(f"{manager.name} does not hold the contract_manager role", field="user_id")
    if case.contract_manager_id == manager.id:
        return case
    previous = case.contract_manager_id
    case.contract_manager_id = manager.id
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="contract_manager_named",
        manager_id=manager.id,
        previous_manager_id=previous,
    )
    outbox.enqueue_mail(
        session,
        key=f"manager-named:{manager.id}",
        case=case,
        notification=Notification.MANAGER_NAMED,
        to=[manager],
        manager_name=manager.name,
        named_by=user.name,
        key_contract=case.key_contract,
    )
    register.name_manager(session, case=case, manager=manager)
    training.check_case(session, case=case, settings=settings)
    return case


def advice(
    *, value_pence: int, category: Category, light_touch: bool, settings: Settings
) -> RouteAdvice:
    """The route a value would take, what it means, and the band of values that take it."""
    return route_advice(
        value_pence,
        category,
        light_touch,
        thresholds(settings),
        settings.standstill_working_days,
    )


def check_request(
    *, requester: User, request: PurchaseRequestIn, settings: Settings
) -> RouteAdvice:
    """What raising this request would do, refused exactly as `create` refuses it, without
    writing anything: the requester sees the route before sending."""
    if not may_enter(users.roles_of(requester), Area.RAISE_REQUEST):
        raise Forbidden("only a user with the requester role can raise a purchase request")
    if request.needed_by < clock.today():
        raise Invalid("needed_by must not be in the past", field="needed_by")
    return advice(
        value_pence=request.estimated_value_pence,
        category=Category(request.category),
        light_touch=request.light_touch,
        settings=settings,
    )


def _filters(
    *, stage: Stage | None, status: Status | None, visible_to: User | None
) -> list[ColumnElement[bool]]:
    """The conditions `list_` and `count` share: the cases a user may read, in a stage and
    status."""
    conditions: list[ColumnElement[bool]] = []
    if visible_to is not None and not may_enter(users.roles_of(visible_to), Area.ALL_CASES):
        conditions.append(
            (col(Case.requester_id) == visible_to.id)
            | (col(Case.contract_manager_id) == visible_to.id)
        )
    if stage:
        conditions.append(col(Case.stage) == stage.value)
    if status:
        conditions.append(col(Case.status) == status.value)
    return conditions


def count(
    session: Session,
    *,
    stage: Stage | None = None,
    status: Status | None = None,
    visible_to: User | None = None,
) -> int:
    """How many cases `list_` would page through with the same filters."""
    conditions = _filters(stage=stage, status=status, visible_to=visible_to)
    return session.exec(select(func.count()).select_from(Case).where(*conditions)).one()


def by_reference(session: Session, *, reference: str, user: User) -> Case:
    """One case this user may read, by the reference people quote (PR-2026-0001), however
    they typed its case; one they may not read is not found, like one that does not exist."""
    wanted = reference.strip().upper()
    case = None
    if wanted and len(wanted) <= 40:
        case = session.exec(select(Case).where(Case.reference == wanted)).first()
    if case is None or not may_read(case, user):
        # The message does not repeat what was typed: it may be anything.
        raise NotFound("there is no case with that reference", field="reference")
    return case
