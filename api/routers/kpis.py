"""A contract's KPIs (Procurement Act 2023 s.52), their results over time, and the
assessments of them at least every 12 months (s.71)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.refusals import ABOUT_A_CASE, CHANGE_WITH_BODY, answers
from api.views import KpiView, PerformanceView
from lifecycle.models import MAX_ID
from lifecycle.schemas import AssessmentIn, ContractKpiIn, FewerKpisIn, KpiChangeIn
from lifecycle.services import cases, performance

router = APIRouter(prefix="/cases/{case_id}", tags=["contract"])
KpiId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/kpis", response_model=PerformanceView, responses=answers(*ABOUT_A_CASE))
def contract_performance(
    case_id: int, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> PerformanceView:
    """The contract's KPIs, each with its review results and assessments, oldest first."""
    case = cases.get_visible(session, case_id=case_id, user=user)
    return PerformanceView.model_validate(
        performance.performance(session, case=case, settings=settings)
    )


@router.post(
    "/kpis",
    status_code=status.HTTP_201_CREATED,
    response_model=KpiView,
    responses=answers(*CHANGE_WITH_BODY),
)
def set_kpi(
    case_id: int, body: ContractKpiIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> KpiView:
    """Set one of the contract's KPIs (the contract manager or procurement, from signing to
    monitoring); a second KPI of the same name is refused."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return KpiView.model_validate(
        performance.add_kpi(session, case=case, user=user, kpi=body, settings=settings)
    )


@router.put("/kpis/{kpi_id}", response_model=KpiView, responses=answers(*CHANGE_WITH_BODY))
def change_kpi(
    case_id: int, kpi_id: KpiId, body: KpiChangeIn, session: SessionDep, user: CurrentUser
) -> KpiView:
    """Change a KPI's name, measure or target, saying why (the contract manager or procurement,
    from signing to monitoring). Its results so far stay with it; the case's history keeps
    what it read before."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    return KpiView.model_validate(
        performance.change_kpi(session, case=case, user=user, kpi_id=kpi_id, change=body)
    )


@router.post(
    "/fewer-kpis-reason",
    status_code=status.HTTP_201_CREATED,
    response_model=PerformanceView,
    responses=answers(*CHANGE_WITH_BODY),
)
def record_fewer_kpis_reason(
    case_id: int, body: FewerKpisIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> PerformanceView:
    """Record why a contract over the threshold sets fewer than 3 KPIs (procurement, once)."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    performance.record_fewer_kpis_reason(session, case=case, user=user, why=body, settings=settings)
    return PerformanceView.model_validate(
        performance.performance(session, case=case, settings=settings)
    )


@router.post(
    "/assessments",
    status_code=status.HTTP_201_CREATED,
    response_model=PerformanceView,
    responses=answers(*CHANGE_WITH_BODY),
)
def assess_kpis(
    case_id: int, body: AssessmentIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> PerformanceView:
    """Rate each KPI of a live contract for the period up to a day (the manager or
    procurement); the next assessment falls due 12 months on. One per period."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    performance.assess(session, case=case, user=user, assessment=body, settings=settings)
    return PerformanceView.model_validate(
        performance.performance(session, case=case, settings=settings)
    )
