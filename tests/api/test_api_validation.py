"""Bad input is refused with a 4xx that names the field at fault, and writes nothing: no case,
no audit event, no flow request, no mail, no document (nor any other row)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, func, select

from lifecycle import clock
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Document,
    Flag,
    FlowRequest,
    Gate,
    Mail,
    RegisterEntry,
)
from lifecycle.schemas import MAX_PENCE

PDF = b"%PDF-1.4\n% signed contract\n%%EOF\n"
COUNTED: tuple[type[SQLModel], ...] = (
    Case,
    AuditEvent,
    FlowRequest,
    Mail,
    Document,
    Gate,
    Bid,
    Contract,
    Flag,
    RegisterEntry,
)


def counts(engine: Engine) -> dict[str, int]:
    """Rows in every table a request could write to."""
    with Session(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in COUNTED
        }


def assert_refused(response: Response, field: str | None, status: int | None = None) -> None:
    """A 4xx in the API's one error shape whose `field` is `field` (None: a field the request
    does not take, which is not named back)."""
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"detail", "field"}, body
    assert body.get("field") == field, body
    if field is None:
        assert "does not take" in body["detail"], body


def as_a_browser(client: TestClient) -> TestClient:
    """The same app, but a server error comes back as the 500 a user would see."""
    return TestClient(client.app, raise_server_exceptions=False)


class Walk:
    """Moves a quotes-route case (10,000 GBP, with a contract) through its stages."""

    def __init__(self, client: TestClient, make_user: Any, run_flows: Any, helpers: Any) -> None:
        self.client, self.run_flows, self.as_ = client, run_flows, helpers.auth
        self.helpers = helpers
        self.requester, self.requester_token = make_user("requester")
        self.legal, self.legal_token = make_user("legal")
        self.buyer, self.buyer_token = make_user("procurement")
        self.approver, self.approver_token = make_user("procurement")

    def post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.as_(token))
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def pending_gate(self, case_id: int) -> dict[str, Any]:
        detail = self.client.get(f"/cases/{case_id}", headers=self.as_(self.legal_token)).json()
        assert detail["pending_gate"] is not None, detail["timeline"]
        return dict(detail["pending_gate"])

    def to_procurement(self) -> int:
        case = self.post(
            "/cases",
            self.helpers.purchase_request(estimated_value_pence=10_000_00),
            self.requester_token,
        )
        self.run_flows()
        gate = self.pending_gate(case["id"])
        self.post(
            f"/cases/{case['id']}/gates/{gate['id']}/decision",
            {"decision": "approve", "contract_type": "Services", "key_contract": False},
            self.legal_token,
        )
        self.run_flows()
        return int(case["id"])

    def bid(self, case_id: int, **overrides: Any) -> int:
        body = {"supplier_name": "Acme Ltd", "price_pence": 9_500_00, **overrides}
        return int(self.post(f"/cases/{case_id}/bids", body, self.buyer_token)["id"])

    def to_signing(self) -> int:
        case_id = self.to_procurement()
        bid_id = self.bid(case_id)
        # The quotes route needs three written quotes before a recommendation.
        self.bid(case_id, supplier_name="Beta Ltd", price_pence=9_800_00)
        self.bid(case_id, supplier_name="Gamma Ltd", price_pence=9_900_00)
        self.post(
            f"/cases/{case_id}/award-recommendation",
            {"bid_id": bid_id, "rationale": "Cheapest of three quotes"},
            self.buyer_token,
        )
        self.run_flows()
        gate = self.pending_gate(case_id)
        self.post(
            f"/cases/{case_id}/gates/{gate['id']}/decision",
            {"decision": "approve"},
            self.approver_token,
        )
        self.run_flows()
        response = self.client.post(
            f"/cases/{case_id}/documents",
            headers=self.as_(self.legal_token),
            data={"document_type": "contractSigned", "title": "Signed contract"},
            files={"file": ("signed.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 201, response.text
        return case_id


@pytest.fixture
def walk(client: TestClient, make_user: Any, run_flows: Any, helpers: Any) -> Walk:
    return Walk(client, make_user, run_flows, helpers)


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}


def past() -> str:
    return (clock.today() - timedelta(days=1)).isoformat()


BAD_REQUESTS: list[Any] = [
    pytest.param(lambda b: without(b, "title"), "title", id="missing-title"),
    pytest.param(lambda b: {**b, "title": "   "}, "title", id="blank-title"),
    pytest.param(lambda b: {**b, "estimated_value_pence": -1}, "estimated_value_pence", id="neg"),
    pytest.param(lambda b: {**b, "estimated_value_pence": 0}, "estimated_value_pence", id="zero"),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": 1234.5}, "estimated_value_pence", id="float"
    ),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": 5000.0},
        "estimated_value_pence",
        id="whole-float",
    ),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": "500000"},
        "estimated_value_pence",
        id="numeric-string",
    ),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": MAX_PENCE + 1},
        "estimated_value_pence",
        id="over-100bn",
    ),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": 10**30},
        "estimated_value_pence",
        id="astronomical",
    ),
    pytest.param(
        lambda b: {**b, "irrecoverable_vat_pence": -5}, "irrecoverable_vat_pence", id="neg-vat"
    ),
    pytest.param(
        lambda b: {**b, "estimated_value_pence": 10_000_00, "irrecoverable_vat_pence": 10_000_01},
        "irrecoverable_vat_pence",
        id="vat-above-value",
    ),
    pytest.param(lambda b: {**b, "category": "furniture"}, "category", id="unknown-category"),
    pytest.param(lambda b: {**b, "needed_by": past()}, "needed_by", id="needed-by-in-past"),
    pytest.param(lambda b: {**b, "needed_by": "31/12/2030"}, "needed_by", id="malformed-date"),
    pytest.param(lambda b: {**b, "needed_by": "2030-02-30"}, "needed_by", id="impossible-date"),
    pytest.param(lambda b: {**b, "colour": "blue"}, None, id="unknown-extra-field"),
    pytest.param(lambda b: without(b, "contract_required"), "contract_required", id="no-contract"),
]


@pytest.mark.parametrize(("spoil", "field"), BAD_REQUESTS)
def test_bad_purchase_request_is_refused_and_writes_nothing(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    spoil: Callable[[dict[str, Any]], dict[str, Any]],
    field: str | None,
) -> None:
    _, token = make_user("requester")
    before = counts(engine)
    response = client.post(
        "/cases", json=spoil(helpers.purchase_request()), headers=helpers.auth(token)
    )
    assert_refused(response, field, 422)
    assert counts(engine) == before
    assert client.get("/cases", headers=helpers.auth(token)).json() == []


@pytest.mark.parametrize(
    "value_pence",
    [
        pytest.param(25_000_000_00, id="25m-works"),
        pytest.param(MAX_PENCE, id="at-the-100bn-cap"),
    ],
)
def test_large_but_plausible_values_are_accepted(
    client: TestClient, make_user: Any, helpers: Any, value_pence: int
) -> None:
    """A council's works contract of tens of millions is ordinary; anything up to the 100bn
    cap the schema allows must be stored, not crash the database with a 500."""
    _, token = make_user("requester")
    body = helpers.purchase_request(
        title="New leisure centre", category="works", estimated_value_pence=value_pence
    )
    response = as_a_browser(client).post("/cases", json=body, headers=helpers.auth(token))
    assert response.status_code == 201, response.text
    case = client.get(f"/cases/{response.json()['id']}", headers=helpers.auth(token)).json()
    assert case["estimated_value_pence"] == value_pence


def test_bad_json_is_refused_and_writes_nothing(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    before = counts(engine)
    response = client.post(
        "/cases",
        content=b'{"title": "Unclosed',
        headers={**helpers.auth(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"price_pence": -100}, "price_pence", id="negative-price"),
        pytest.param({"price_pence": 0}, "price_pence", id="zero-price"),
        pytest.param({"price_pence": 99.99}, "price_pence", id="float-price"),
        pytest.param({"score": 101}, "score", id="score-over-100"),
        pytest.param({"sme": True}, "registration_number", id="sme-without-number"),
        pytest.param({"vcse": True}, "registration_number", id="vcse-without-number"),
        pytest.param(
            {"sme": True, "registration_number": "   "},
            "registration_number",
            id="sme-with-blank-number",
        ),
        pytest.param({"supplier_name": ""}, "supplier_name", id="no-supplier"),
        pytest.param(
            {"price_pence": 100_00, "irrecoverable_vat_pence": 100_01},
            "irrecoverable_vat_pence",
            id="vat-above-price",
        ),
    ],
)
def test_bad_bid_is_refused_and_writes_nothing(
    client: TestClient,
    engine: Engine,
    walk: Walk,
    helpers: Any,
    overrides: dict[str, Any],
    field: str,
) -> None:
    case_id = walk.to_procurement()
    before = counts(engine)
    body = {"supplier_name": "Acme Ltd", "price_pence": 9_500_00, **overrides}
    response = client.post(
        f"/cases/{case_id}/bids", json=body, headers=helpers.auth(walk.buyer_token)
    )
    assert_refused(response, field, 422)
    assert counts(engine) == before


def test_sme_bid_with_registration_number_is_accepted(walk: Walk) -> None:
    case_id = walk.to_procurement()
    walk.bid(case_id, sme=True, registration_number="01234567")


def test_recommending_an_unknown_bid_is_404_and_writes_nothing(
    client: TestClient, engine: Engine, walk: Walk, helpers: Any
) -> None:
    case_id = walk.to_procurement()
    walk.bid(case_id)
    other_case = walk.to_procurement()
    other_bid = walk.bid(other_case)
    before = counts(engine)
    for bid_id in (999_999, other_bid):
        response = client.post(
            f"/cases/{case_id}/award-recommendation",
            json={"bid_id": bid_id, "rationale": "Cheapest"},
            headers=helpers.auth(walk.buyer_token),
        )
        assert_refused(response, "bid_id", 404)
    assert counts(engine) == before
    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(walk.buyer_token)).json()
    assert detail["awarded_bid_id"] is None


def contract_body(**overrides: Any) -> dict[str, Any]:
    """Signed today, starting in a fortnight, for two years."""
    today = clock.today()
    return {
        "start_date": (today + timedelta(days=14)).isoformat(),
        "end_date": (today + timedelta(days=14 + 730)).isoformat(),
        "supplier_signed_on": today.isoformat(),
        "council_signed_on": today.isoformat(),
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param(
            {"end_date": (clock.today() + timedelta(days=13)).isoformat()},
            "end_date",
            id="end-before-start",
        ),
        pytest.param(
            {"end_date": (clock.today() + timedelta(days=14)).isoformat()},
            "end_date",
            id="end-on-start",
        ),
        pytest.param(
            {"start_date": clock.today().isoformat(), "end_date": "2099-01-01"},
            "late_signing_reason",
            id="signed-on-start-no-reason",
        ),
        pytest.param(
            {
                "start_date": (clock.today() - timedelta(days=3)).isoformat(),
                "end_date": "2099-01-01",
            },
            "late_signing_reason",
            id="signed-after-start-no-reason",
        ),
        pytest.param(
            {
                "start_date": clock.today().isoformat(),
                "end_date": "2099-01-01",
                "late_signing_reason": "   ",
            },
            "late_signing_reason",
            id="signed-on-start-blank-reason",
        ),
        pytest.param({"start_date": "tomorrow"}, "start_date", id="malformed-start"),
        pytest.param({"signed_by": "Mayor"}, None, id="unknown-extra-field"),
    ],
)
def test_bad_contract_is_refused_and_writes_nothing(
    client: TestClient,
    engine: Engine,
    walk: Walk,
    helpers: Any,
    overrides: dict[str, Any],
    field: str | None,
) -> None:
    case_id = walk.to_signing()
    before = counts(engine)
    response = client.put(
        f"/cases/{case_id}/contract",
        json=contract_body(**overrides),
        headers=helpers.auth(walk.legal_token),
    )
    assert_refused(response, field, 422)
    assert counts(engine) == before
    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(walk.legal_token)).json()
    assert detail["contract_record"] is None
    assert detail["flags"] == []


@pytest.mark.parametrize("days_after_start", [0, 3])
def test_late_signing_with_a_reason_is_accepted_and_flagged(
    client: TestClient, walk: Walk, helpers: Any, run_flows: Any, days_after_start: int
) -> None:
    case_id = walk.to_signing()
    start = clock.today() - timedelta(days=days_after_start)
    response = client.put(
        f"/cases/{case_id}/contract",
        json=contract_body(
            start_date=start.isoformat(),
            end_date=(start + timedelta(days=365)).isoformat(),
            late_signing_reason="Supplier's signatory was away",
        ),
        headers=helpers.auth(walk.legal_token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["late_signing_reason"] == "Supplier's signatory was away"
    run_flows()
    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(walk.legal_token)).json()
    assert [flag["code"] for flag in detail["flags"]] == ["signed_on_or_after_start"]
    assert "Supplier's signatory was away" in detail["flags"][0]["message"]
    assert "case_flagged" in [event["action"] for event in detail["timeline"]]
    assert detail["pending_gate"]["kind"] == "signing_confirmation"


def test_signing_before_start_is_accepted_without_a_flag(
    client: TestClient, walk: Walk, helpers: Any
) -> None:
    case_id = walk.to_signing()
    response = client.put(
        f"/cases/{case_id}/contract", json=contract_body(), headers=helpers.auth(walk.legal_token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["late_signing_reason"] is None
    detail = client.get(f"/cases/{case_id}", headers=helpers.auth(walk.legal_token)).json()
    assert detail["flags"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("get", "/cases/999999", None, id="read"),
        pytest.param("patch", "/cases/999999/request", {"title": "New"}, id="change"),
        pytest.param("post", "/cases/999999/resubmit", None, id="resubmit"),
        pytest.param(
            "post",
            "/cases/999999/bids",
            {"supplier_name": "Acme Ltd", "price_pence": 100},
            id="bid",
        ),
        pytest.param(
            "post", "/cases/999999/gates/1/decision", {"decision": "approve"}, id="decide"
        ),
        pytest.param("get", "/cases/999999/documents/1", None, id="download"),
    ],
)
def test_unknown_case_is_404_naming_case_id(
    client: TestClient,
    engine: Engine,
    make_user: Any,
    helpers: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    _, token = make_user("requester", "legal", "procurement")
    before = counts(engine)
    response = client.request(method, path, json=body, headers=helpers.auth(token))
    assert_refused(response, "case_id", 404)
    assert counts(engine) == before


def test_unknown_gate_is_404_naming_gate_id(
    client: TestClient, engine: Engine, walk: Walk, helpers: Any
) -> None:
    case_id = walk.to_procurement()  # its legal gate exists and is decided
    other_case = int(walk.post("/cases", helpers.purchase_request(), walk.requester_token)["id"])
    walk.run_flows()
    other_gate = walk.pending_gate(other_case)["id"]
    before = counts(engine)
    for gate_id in (999_999, other_gate):
        response = client.post(
            f"/cases/{case_id}/gates/{gate_id}/decision",
            json={"decision": "approve", "contract_type": "Services", "key_contract": False},
            headers=helpers.auth(walk.legal_token),
        )
        assert_refused(response, "gate_id", 404)
    assert counts(engine) == before
    assert walk.pending_gate(other_case)["status"] == "pending"


OUT_OF_RANGE = [
    pytest.param(2**31, id="2^31"),
    pytest.param(2**63, id="2^63"),
]


@pytest.mark.parametrize("unknown_id", OUT_OF_RANGE)
@pytest.mark.parametrize("field", ["case_id", "gate_id", "bid_id", "document_id"])
def test_ids_beyond_the_database_range_are_unknown_not_a_crash(
    client: TestClient, engine: Engine, walk: Walk, helpers: Any, field: str, unknown_id: int
) -> None:
    """A mistyped long id is just an id that does not exist: 404 naming it, never a 500."""
    case_id = walk.to_procurement()
    walk.bid(case_id)
    browser = as_a_browser(client)
    as_buyer = helpers.auth(walk.buyer_token)
    before = counts(engine)
    if field == "case_id":
        response = browser.get(f"/cases/{unknown_id}", headers=as_buyer)
    elif field == "gate_id":
        response = browser.post(
            f"/cases/{case_id}/gates/{unknown_id}/decision",
            json={"decision": "approve"},
            headers=as_buyer,
        )
    elif field == "bid_id":
        response = browser.post(
            f"/cases/{case_id}/award-recommendation",
            json={"bid_id": unknown_id, "rationale": "Cheapest"},
            headers=as_buyer,
        )
    else:
        response = browser.get(f"/cases/{case_id}/documents/{unknown_id}", headers=as_buyer)
    assert_refused(response, field, 404)
    assert counts(engine) == before
