"""A contract's KPIs (Procurement Act 2023 s.52), each review's result for every KPI, and the
assessment of the KPIs at least every 12 months (s.71): set, reported, assessed, reminded."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.db import get_row
from lifecycle.errors import Conflict, Forbidden, Invalid, NotFound
from lifecycle.kpis import (
    assessment_conflict,
    assessment_due,
    assessment_refusal,
    fewer_kpis_conflict,
    fewer_kpis_refusal,
    kpi_changes,
    kpi_setting_conflict,
    kpi_setting_refusal,
    kpi_shortfall,
    results_problem,
)
from lifecycle.models import Case, Contract, Kpi, KpiAssessment, KpiResult, Review, User, utcnow
from lifecycle.rules import Role, Stage, Status
from lifecycle.schemas import AssessmentIn, ContractKpiIn, FewerKpisIn, KpiChangeIn, ReviewIn
from lifecycle.services import audit, users
from lifecycle.services.training import contract_value
from lifecycle.settings import Settings


@dataclass(frozen=True)
class Point:
    """One result or assessment of a KPI, at the end of the period it covers."""

    period_end: date
    kind: str  # review | assessment
    rating: str
    result: str = ""
    period_start: date | None = None


@dataclass
class KpiHistory:
    """A KPI and its results and assessments, oldest first."""

    kpi: Kpi
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Performance:
    """A contract's KPIs over time, and where it stands against the Act."""

    kpis: list[KpiHistory]
    fewer_kpis_reason: str | None
    next_assessment_due: date | None
    shortfall: str


def _contract(session: Session, case_id: int) -> Contract | None:
    """The case's contract, if recorded (read here: the signing service imports progress)."""
    return session.exec(select(Contract).where(Contract.case_id == case_id)).first()


def _procurement(user: User) -> bool:
    """Whether the user is in the procurement team."""
    return users.has_role(user, Role.PROCUREMENT)


def kpis_of(session: Session, *, case_id: int) -> list[Kpi]:
    """The contract's KPIs, in the order they were set."""
    return list(session.exec(select(Kpi).where(Kpi.case_id == case_id).order_by(col(Kpi.id))))


def shortfall(session: Session, *, case: Case, settings: Settings) -> str:
    """Why the contract may not enter monitoring with the KPIs it sets ("" when it may)."""
    assert case.id is not None
    return kpi_shortfall(
        contract_value(session, case),
        settings.kpi_threshold_pence,
        len(kpis_of(session, case_id=case.id)),
        case.fewer_kpis_reason,
    )


def _require_kpi_setter(case: Case, user: User) -> None:
    """Refuse anyone but the manager or procurement, then any moment KPIs cannot be set."""
    if refused := kpi_setting_refusal(user.id, _procurement(user), case.contract_manager_id):
        raise Forbidden(refused)
    if conflict := kpi_setting_conflict(case.reference, Stage(case.stage), Status(case.status)):
        raise Conflict(conflict)


def add_kpi(
    session: Session, *, case: Case, user: User, kpi: ContractKpiIn, settings: Settings
) -> Kpi:
    """Set one of the contract's KPIs; on a live contract the assessment schedule starts."""
    _require_kpi_setter(case, user)
    assert case.id is not None and user.id is not None
    taken = session.exec(select(Kpi.id).where(Kpi.case_id == case.id, Kpi.name == kpi.name))
    if taken.first() is not None:
        raise Conflict(f"case {case.reference} already sets this KPI", field="name")
    row = Kpi(case_id=case.id, **kpi.model_dump(), set_by=user.id)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # the same KPI set at the same moment by someone else
        raise Conflict(f"case {case.reference} already sets this KPI") from exc
    audit.record(
        session, case=case, actor_id=user.id, action="kpi_set", kpi_id=row.id, name=kpi.name
    )
    if case.stage == Stage.MONITORING.value:
        schedule_first_assessment(session, case=case, settings=settings)
    return row


def kpi_of(session: Session, *, case: Case, kpi_id: int) -> Kpi:
    """One of the case's KPIs; an id of another case's KPI is as unknown as one never made."""
    kpi = get_row(session, Kpi, kpi_id)
    if kpi is None or kpi.case_id != case.id:
        raise NotFound(f"case {case.reference} sets no such KPI", field="kpi_id")
    return kpi


def kpi_to_change(session: Session, *, case: Case, user: User, kpi_id: int) -> Kpi:
    """One of the case's KPIs, for someone who may change it now (asked in that order)."""
    _require_kpi_setter(case, user)
    return kpi_of(session, case=case, kpi_id=kpi_id)


def change_kpi(
    session: Session,
    *,
    case: Case,
    user: User,
    kpi_id: int,
    change: KpiChangeIn,
    read: Mapping[str, str] | None = None,
) -> Kpi:
    """Change what a KPI is called, how it is measured or its target, saying why; its results
    so far stay with it, and the history keeps what it read before. `read`: the KPI as the
    person saw it (a page's form); refused if it has changed since, so a form left open never
    puts back what someone else has just changed."""
    kpi = kpi_to_change(session, case=case, user=user, kpi_id=kpi_id)
    before = {"name": kpi.name, "measure": kpi.measure, "target": kpi.target}
    if read is not None and dict(read) != before:
        raise Conflict(
            "the KPI was changed by someone else since you opened this form: it now reads "
            "as shown; make your change again",
            field="kpi_read",
        )
    changes = kpi_changes(before, change.model_dump(include=set(before)))
    if not changes:
        raise Invalid("nothing changes: the KPI already reads so")
    if "name" in changes:
        taken = select(Kpi.id).where(Kpi.case_id == case.id, Kpi.name == change.name)
        if session.exec(taken).first() is not None:
            raise Conflict(f"case {case.reference} already sets a KPI called that", field="name")
    for name, (_, value) in changes.items():
        setattr(kpi, name, value)
    session.add(kpi)
    try:
        session.flush()
    except IntegrityError as exc:  # renamed to a name just taken by someone else
        raise Conflict(f"case {case.reference} already sets a KPI called that") from exc
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="kpi_changed",
        kpi_id=kpi.id,
        name=kpi.name,
        changes=changes,
        reason=change.reason,
    )
    return kpi


def record_fewer_kpis_reason(
    session: Session, *, case: Case, user: User, why: FewerKpisIn, settings: Settings
) -> Case:
    """Record, once, why the contract sets fewer KPIs than s.52 asks."""
    if refused := fewer_kpis_refusal(_procurement(user)):
        raise Forbidden(refused)
    if conflict := kpi_setting_conflict(case.reference, Stage(case.stage), Status(case.status)):
        raise Conflict(conflict)
    if case.fewer_kpis_reason:
        raise Conflict(f"case {case.reference} already records why it has fewer KPIs")
    if not shortfall(session, case=case, settings=settings):
        raise Conflict(
            fewer_kpis_conflict(case.reference, Stage(case.stage), Status(case.status), False)
        )
    case.fewer_kpis_reason = why.reason
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session, case=case, actor_id=user.id, action="fewer_kpis_reason_recorded", reason=why.reason
    )
    return case


def record_results(
    session: Session, *, case: Case, review: Review, review_in: ReviewIn, settings: Settings
) -> list[KpiResult]:
    """A review's result for each KPI the contract sets (refused unless every one has exactly
    one), and the s.52 count for a contract over the threshold."""
    assert case.id is not None and review.id is not None
    kpis = kpis_of(session, case_id=case.id)
    if not kpis and review_in.results:
        raise Invalid(f"case {case.reference} sets no KPIs to report on", field="results")
    if problem := results_problem(
        [kpi.id for kpi in kpis if kpi.id], [r.kpi_id for r in review_in.results]
    ):
        raise Invalid(problem, field="results")
    reported = len(kpis) if kpis else len(review_in.kpis)
    value = contract_value(session, case)
    if short := kpi_shortfall(
        value, settings.kpi_threshold_pence, reported, case.fewer_kpis_reason
    ):
        raise Invalid(short, field="results" if kpis else "kpis")
    rows = [
        KpiResult(review_id=review.id, kpi_id=r.kpi_id, result=r.result, rating=r.rating)
        for r in review_in.results
    ]
    session.add_all(rows)
    return rows


def schedule_first_assessment(session: Session, *, case: Case, settings: Settings) -> date | None:
    """Set the first assessment date of a live contract with KPIs (once)."""
    assert case.id is not None
    contract = _contract(session, case.id)
    if contract is None or not kpis_of(session, case_id=case.id):
        return None
    if contract.next_assessment_due is None:
        start = max(contract.start_date, clock.today())
        contract.next_assessment_due = assessment_due(start, settings.assessment_interval_months)
        session.add(contract)
        audit.record(
            session,
            case=case,
            actor_id=None,
            action="assessment_scheduled",
            due_on=contract.next_assessment_due,
        )
    return contract.next_assessment_due


def assess(
    session: Session, *, case: Case, user: User, assessment: AssessmentIn, settings: Settings
) -> list[KpiAssessment]:
    """Rate each of the contract's KPIs for the period up to `period_end`; the next assessment
    falls due 12 months on. A second assessment of the same period is refused."""
    if refused := assessment_refusal(user.id, _procurement(user), case.contract_manager_id):
        raise Forbidden(refused)
    assert case.id is not None and user.id is not None
    contract = _contract(session, case.id)
    kpis = kpis_of(session, case_id=case.id)
    if conflict := assessment_conflict(
        case.reference, Stage(case.stage), Status(case.status), contract is not None, len(kpis)
    ):
        raise Conflict(conflict)
    assert contract is not None
    today = clock.today()
    if assessment.period_end > today:
        raise Invalid("period_end must not be in the future", field="period_end")
    if assessment.period_end < contract.start_date:
        raise Invalid("period_end must not be before the contract start date", field="period_end")
    ratings = [r.kpi_id for r in assessment.ratings]
    if problem := results_problem([kpi.id for kpi in kpis if kpi.id], ratings):
        raise Invalid(problem.replace("a result", "a rating"), field="ratings")
    done = select(KpiAssessment.id).where(
        KpiAssessment.case_id == case.id, KpiAssessment.period_end == assessment.period_end
    )
    if session.exec(done).first() is not None:
        raise Conflict(f"case {case.reference} is already assessed up to that day")
    rows = [
        KpiAssessment(
            case_id=case.id,
            kpi_id=r.kpi_id,
            period_end=assessment.period_end,
            rating=r.rating,
            notes=assessment.notes,
            assessed_by=user.id,
        )
        for r in assessment.ratings
    ]
    session.add_all(rows)
    try:
        session.flush()
    except IntegrityError as exc:  # the same period assessed at the same moment by someone else
        raise Conflict(f"case {case.reference} is already assessed up to that day") from exc
    contract.next_assessment_due = assessment_due(today, settings.assessment_interval_months)
    session.add(contract)
    audit.record(
        session,
        case=case,
        actor_id=user.id,
        action="kpis_assessed",
        period_end=assessment.period_end,
        ratings={str(r.kpi_id): r.rating for r in assessment.ratings},
        # As each KPI was called then: a KPI renamed later must not rewrite a published release.
        names={str(kpi.id): kpi.name for kpi in kpis},
        next_assessment_due=contract.next_assessment_due,
    )
    return rows


def performance(session: Session, *, case: Case, settings: Settings) -> Performance:
    """Each KPI's results and assessments over time (three reads however many)."""
    assert case.id is not None
    kpis = kpis_of(session, case_id=case.id)
    history = {kpi.id: KpiHistory(kpi) for kpi in kpis}
    results = session.exec(
        select(KpiResult, col(Review.period_start), col(Review.period_end))
        .join(Review, col(Review.id) == KpiResult.review_id)
        .where(Review.case_id == case.id)
    ).all()
    for result, start, end in results:
        history[result.kpi_id].points.append(
            Point(end, "review", result.rating, result.result, start)
        )
    for rated in session.exec(select(KpiAssessment).where(KpiAssessment.case_id == case.id)):
        history[rated.kpi_id].points.append(Point(rated.period_end, "assessment", rated.rating))
    for each in history.values():
        # A period's review comes before the assessment that closes it.
        each.points.sort(key=lambda point: (point.period_end, point.kind == "assessment"))
    contract = _contract(session, case.id)
    return Performance(
        kpis=list(history.values()),
        fewer_kpis_reason=case.fewer_kpis_reason,
        next_assessment_due=contract.next_assessment_due if contract else None,
        shortfall=shortfall(session, case=case, settings=settings),
    )
