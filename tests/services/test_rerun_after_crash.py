"""A stage run that crashed with its process (a worker killed mid-run) is asked for again, a
few times at most, so the case is not left without its next step."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from lifecycle.db import transaction
from lifecycle.models import FlowRequest
from lifecycle.services import outbox


def test_a_crashed_stage_run_is_asked_for_again_three_times_at_most(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    with Session(engine) as session:
        first = session.exec(select(FlowRequest)).one()
    again = []
    for _ in range(4):
        with transaction(engine) as session:
            request = outbox.rerun_after_crash(session, request=first)
            again.append(request.key if request else None)
    reference = first.key.split(":")[0]
    assert again == [
        f"{reference}:purchase_request:after-crash-1",
        f"{reference}:purchase_request:after-crash-2",
        f"{reference}:purchase_request:after-crash-3",
        None,
    ]
    with Session(engine) as session:
        pending = session.exec(
            select(FlowRequest.flow_name)
            .where(FlowRequest.status == "pending")
            .order_by(col(FlowRequest.id))
        ).all()
    assert pending == ["purchase-request"] * 4


def test_a_run_that_is_not_a_stage_is_not_asked_for_again(engine: Engine) -> None:
    with transaction(engine) as session:
        sweep = FlowRequest(key="sweep", flow_name="monitoring-sweep", run_name="sweep")
        assert outbox.rerun_after_crash(session, request=sweep) is None


def test_a_crash_seen_twice_is_asked_for_again_once(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(token))
    with transaction(engine) as session:
        request = session.exec(select(FlowRequest)).one()
        request.status, request.flow_run_id = "running", "run-1"
        session.add(request)
    outcomes = []
    for _ in range(2):  # the run's own hook, then a dispatcher (or two dispatchers)
        with transaction(engine) as session:
            again = outbox.settle_crash(session, flow_run_id="run-1")
            outcomes.append(again.key if again else None)
    assert outcomes[0] is not None and outcomes[0].endswith("after-crash-1")
    assert outcomes[1] is None
    with Session(engine) as session:
        statuses = session.exec(select(FlowRequest.status).order_by(col(FlowRequest.id))).all()
    assert statuses == ["crashed", "pending"]
