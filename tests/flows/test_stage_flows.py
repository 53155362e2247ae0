"""The stage flows and sweeps as Prefect flows on a real Prefect server: a run twice changes
nothing the second time, and the dispatcher submits each request once."""

from datetime import date, timedelta
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Crashed
from sqlalchemy import Engine, update
from sqlmodel import Session, col, func, select

from flows.dispatcher import Dispatcher
from flows.runner import build_deployments
from flows.stages import legal_consultation, purchase_request
from flows.sweeps import monitoring_sweep, records_check
from lifecycle.db import transaction
from lifecycle.models import (
    AssuranceSnapshot,
    AuditAnchor,
    AuditEvent,
    Case,
    Contract,
    Flag,
    FlowRequest,
    Gate,
    Mail,
    utcnow,
)
from lifecycle.rules import Stage, Status
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases
from lifecycle.settings import Settings

pytestmark = pytest.mark.prefect


def raise_case(engine: Engine, requester: Any, settings: Settings) -> tuple[int, str]:
    """A contract purchase request, as the API would raise it."""
    request = PurchaseRequestIn(
        title="Occupational health service",
        description="Three-year service",
        category="services",
        department="HR",
        estimated_value_pence=60_000_00,
        needed_by=date.today() + timedelta(days=60),
        contract_required=True,
    )
    with transaction(engine) as session:
        case = cases.create(session, requester=requester, request=request, settings=settings)
        assert case.id is not None
        return case.id, case.reference


def count(engine: Engine, model: Any, *where: Any) -> int:
    """Rows of `model` matching `where`."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_stage_flows_run_twice_open_one_gate_and_send_one_mail(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, reference = raise_case(product_database, requester, settings)

    assert run(purchase_request(case_id=case_id, reference=reference)) == ["announce", "advance"]
    assert run(purchase_request(case_id=case_id, reference=reference)) == []
    assert run(legal_consultation(case_id=case_id, reference=reference)) == ["open_gate"]
    assert run(legal_consultation(case_id=case_id, reference=reference)) == []

    assert count(product_database, Gate, Gate.case_id == case_id) == 1
    assert count(product_database, Mail, col(Mail.key).endswith(":request-received")) == 1
    assert count(product_database, Mail, Mail.notification == "gate_opened") == 1
    with Session(product_database) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.stage, case.status) == (Stage.LEGAL_CONSULTATION, Status.AWAITING_DECISION)


def test_dispatcher_submits_each_request_once_with_its_business_name(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    case_id, reference = raise_case(product_database, requester, settings)

    async def deploy_and_dispatch() -> tuple[int, int, Any]:
        for deployment in await build_deployments():
            await deployment.apply()
        dispatcher = Dispatcher(settings, product_database)
        first = await dispatcher.submit_due()
        # A crash after Prefect accepted the run but before the row was marked: the same
        # idempotency key brings back the same run rather than a second one.
        with transaction(product_database) as session:
            row = session.exec(select(FlowRequest).where(FlowRequest.case_id == case_id)).one()
            submitted_id = row.flow_run_id
            row.status, row.flow_run_id = "pending", None
            session.add(row)
        second = await dispatcher.submit_due()
        async with get_client() as client:
            flow_run = await client.read_flow_run(submitted_id)
        return first, second, flow_run

    first, second, flow_run = run(deploy_and_dispatch())
    assert (first, second) == (1, 1)
    assert flow_run.name == f"purchase-request {reference}"
    assert reference in flow_run.tags
    with Session(product_database) as session:
        row = session.exec(select(FlowRequest).where(FlowRequest.case_id == case_id)).one()
        assert row.status == "submitted"
        assert row.flow_run_id == str(flow_run.id)


def test_monitoring_sweep_reminds_a_due_review_once(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    case_id, _ = raise_case(product_database, requester, settings)
    with transaction(product_database) as session:
        case = session.get(Case, case_id)
        assert case is not None and manager.id is not None and requester.id is not None
        case.stage, case.status = Stage.MONITORING.value, Status.IN_PROGRESS.value
        case.contract_manager_id = manager.id
        session.add(case)
        session.add(
            Contract(
                case_id=case_id,
                start_date=date.today() - timedelta(days=80),
                end_date=date.today() + timedelta(days=600),
                supplier_signed_on=date.today() - timedelta(days=90),
                council_signed_on=date.today() - timedelta(days=90),
                next_review_due=date.today() + timedelta(days=3),
                recorded_by=requester.id,
            )
        )

    assert run(monitoring_sweep())["review_reminders"] == 1
    assert run(monitoring_sweep())["review_reminders"] == 0
    with Session(product_database) as session:
        mails = session.exec(select(Mail).where(Mail.notification == "review_due")).all()
    assert [m.recipients for m in mails] == [[manager.email]]


def test_monitoring_sweep_keeps_one_assurance_snapshot_per_measure_a_month(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    raise_case(product_database, requester, settings)
    assert run(monitoring_sweep())["assurance_measures"] == 10
    assert run(monitoring_sweep())["assurance_measures"] == 10
    with Session(product_database) as session:
        rows = session.exec(select(AssuranceSnapshot)).all()
    assert len(rows) == 10 and len({(row.month, row.measure) for row in rows}) == 10


def test_records_check_flags_an_altered_history_and_anchors_the_day_once(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    make_user("legal")
    case_id, _ = raise_case(product_database, requester, settings)
    assert run(records_check()) == {"histories_altered": 0, "documents_damaged": 0}
    with product_database.begin() as connection:  # an edit behind the product's back
        connection.execute(
            update(AuditEvent).where(col(AuditEvent.case_id) == case_id).values(action="edited")
        )

    assert run(records_check()) == {"histories_altered": 1, "documents_damaged": 0}
    assert count(product_database, Flag, Flag.case_id == case_id) == 1
    assert count(product_database, AuditAnchor) == 1


def test_dispatcher_shows_a_run_that_died_without_its_hooks(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    case_id, _ = raise_case(product_database, requester, settings)

    async def submit_crash_reconcile() -> int:
        for deployment in await build_deployments():
            await deployment.apply()
        dispatcher = Dispatcher(settings, product_database)
        await dispatcher.submit_due()
        with transaction(product_database) as session:
            row = session.exec(select(FlowRequest).where(FlowRequest.case_id == case_id)).one()
            row.updated_at = utcnow() - timedelta(minutes=5)  # long enough ago to look again
            session.add(row)
            flow_run_id = row.flow_run_id
        async with get_client() as client:
            await client.set_flow_run_state(flow_run_id, Crashed(), force=True)
        return await dispatcher.reconcile_states()

    assert run(submit_crash_reconcile()) == 1
    with Session(product_database) as session:
        rows = session.exec(
            select(FlowRequest).where(FlowRequest.case_id == case_id).order_by(col(FlowRequest.id))
        ).all()
    # The crashed run shows as crashed, and the stage is asked for again.
    assert [row.status for row in rows] == ["crashed", "pending"]
    assert rows[1].key.endswith(":purchase_request:after-crash-1")
