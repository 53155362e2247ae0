"""Write access follows read access: for a case a caller may not read, every route answers
exactly as for a case that does not exist, before it says anything about the case's state,
and changes nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import AuditEvent, Lesson

WRITES = [
    ("post", "/cases/{id}/resubmit", {}),
    ("patch", "/cases/{id}/request", {"title": "Mine now"}),
    ("put", "/cases/{id}/contract-manager", {"user_id": 1}),
    ("post", "/cases/{id}/gates/1/decision", {"decision": "approve"}),
    ("post", "/cases/{id}/bids", {"supplier_name": "Acme", "price_pence": 100}),
    ("post", "/cases/{id}/award-recommendation", {"bid_id": 1, "rationale": "cheap"}),
    ("post", "/cases/{id}/award-notice", {"published_on": "2026-01-05"}),
    (
        "put",
        "/cases/{id}/contract",
        {
            "start_date": "2026-02-01",
            "end_date": "2027-02-01",
            "supplier_signed_on": "2026-01-10",
            "council_signed_on": "2026-01-10",
        },
    ),
    ("patch", "/cases/{id}/register-entry", {"review_date": "2026-06-01"}),
    ("post", "/cases/{id}/register-entry/submit", {}),
    (
        "post",
        "/cases/{id}/reviews",
        {"period_start": "2026-01-01", "period_end": "2026-01-31", "rag": "green"},
    ),
    ("post", "/cases/{id}/exit", {"reason": "expired", "ended_on": "2026-01-31"}),
    ("post", "/cases/{id}/kpis", {"name": "Uptime", "measure": "monthly", "target": "99%"}),
    (
        "put",
        "/cases/{id}/kpis/1",
        {"name": "Uptime", "measure": "monthly", "target": "98%", "reason": "agreed"},
    ),
    ("post", "/cases/{id}/fewer-kpis-reason", {"reason": "one output"}),
    (
        "post",
        "/cases/{id}/assessments",
        {"period_end": "2026-01-31", "ratings": [{"kpi_id": 1, "rating": "good"}]},
    ),
]


def counts(engine: Engine) -> tuple[int, int]:
    """Audit events and lessons: what any change would add."""
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(AuditEvent)).one(),
            session.exec(select(func.count()).select_from(Lesson)).one(),
        )


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[w[1] for w in WRITES])
def test_a_case_you_may_not_read_is_not_found_by_any_write(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    run_flows: Any,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    _, owner = make_user("requester")
    _, stranger = make_user("requester", "contract_manager")
    created = client.post("/cases", json=helpers.purchase_request(), headers=helpers.auth(owner))
    case = created.json()
    run_flows()
    before = counts(engine)
    hidden = client.request(
        method, path.format(id=case["id"]), json=body, headers=helpers.auth(stranger)
    )
    missing = client.request(
        method, path.format(id=999_999), json=body, headers=helpers.auth(stranger)
    )
    assert hidden.status_code == missing.status_code == 404, hidden.text
    assert hidden.json()["detail"] == f"no case with id {case['id']}"
    assert case["reference"] not in hidden.text
    assert counts(engine) == before


def test_lessons_of_a_case_you_may_not_read_are_not_found(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    """Neither listing a case's lessons nor adding one tells a stranger the case exists."""
    _, owner = make_user("requester")
    _, stranger = make_user("requester")
    case = client.post(
        "/cases", json=helpers.purchase_request(), headers=helpers.auth(owner)
    ).json()
    listed = client.get(f"/lessons?case_id={case['id']}", headers=helpers.auth(stranger))
    added = client.post(
        "/lessons", json={"case_id": case["id"], "text": "x"}, headers=helpers.auth(stranger)
    )
    assert listed.status_code == added.status_code == 404
    assert case["reference"] not in listed.text + added.text
    assert client.get(f"/lessons?case_id={case['id']}", headers=helpers.auth(owner)).json() == []
