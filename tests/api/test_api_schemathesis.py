"""Every operation of the API, fuzzed from its own OpenAPI document by Schemathesis with a token
that holds every role: valid and invalid input alike gives no server error, and every answer
(status, content type, headers, body) is one the document declares. Path ids are drawn from
cases seeded in several stages as often as at random, so the fuzzing reaches real state."""

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.app import create_app
from api.deps import get_session, sessions_on
from lifecycle.models import Document, Gate
from lifecycle.settings import Settings, get_settings
from tests.api.test_case_lifecycle import upload

EVERY_ROLE = ("requester", "legal", "procurement", "contract_manager", "auditor", "admin")
# Sent values this long are looked for in every answer: an error must never carry them back.
REFLECTION_MIN = 12
CODE = re.compile(r"[a-z_]+")


def sent_strings(value: Any) -> list[str]:
    """Every string in a generated body or query, however nested."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in sent_strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in sent_strings(item)]
    return []


def no_input_reflected(ctx: Any, response: Any, case: Any) -> bool | None:
    """A refusal never repeats what was sent (a 10 MB title must not come back)."""
    if response.status_code < 400:
        return None
    sent = sent_strings(case.body) + sent_strings(case.query or {})
    for text in sent:
        text = text.strip()
        # Codes (request_changes, above_threshold) are the API's own words, not the sender's.
        if CODE.fullmatch(text):
            continue
        if len(text) >= REFLECTION_MIN and text in response.text:
            raise AssertionError(f"the {response.status_code} answer repeats input it was sent")
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    no_input_reflected,
]


def seed(client: TestClient, make_user: Callable[..., Any], run_flows: Any, helpers: Any) -> None:
    """Cases at the legal gate, in procurement, and with a document, raised by a requester
    other than the fuzzing user (so its decisions are not refused as its own case's)."""
    _, requester = make_user("requester")
    _, lawyer = make_user("legal")
    for _ in range(3):
        response = client.post(
            "/cases", json=helpers.purchase_request(), headers=helpers.auth(requester)
        )
        assert response.status_code == 201, response.text
    run_flows()
    first = client.get("/cases/1", headers=helpers.auth(lawyer)).json()
    approved = client.post(
        f"/cases/1/gates/{first['pending_gate']['id']}/decision",
        json={"decision": "approve", "contract_type": "services", "key_contract": True},
        headers=helpers.auth(lawyer),
    )
    assert approved.status_code == 200, approved.text
    run_flows()
    assert upload(client, 2, requester, "tenderNotice").status_code == 201


def existing(engine: Engine) -> dict[str, list[int]]:
    """The ids that path parameters may take, beside random ones."""
    with Session(engine) as session:
        return {
            "case_id": [1, 2, 3],
            "gate_id": list(session.exec(select(Gate.id).order_by(col(Gate.id)))),
            "document_id": list(session.exec(select(Document.id).order_by(col(Document.id)))),
        }


# One app for the module, so Schemathesis can read its document at collection; each test points
# it at that test's database, seeded afresh.
APP = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
SEEDED: dict[str, list[int]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Keep the generated ids, or swap in seeded ones."""
    choices = {name: SEEDED[name] for name in path_parameters or {} if SEEDED.get(name)}
    if not choices:
        return st.just(path_parameters)
    seeded = st.fixed_dictionaries({name: st.sampled_from(v) for name, v in choices.items()})
    return st.one_of(st.just(path_parameters), seeded.map(lambda s: {**path_parameters, **s}))


@pytest.fixture
def every_role(
    engine: Engine, settings: Settings, make_user: Any, run_flows: Any, helpers: Any
) -> Iterator[dict[str, str]]:
    """The app over this test's seeded database, and the Authorization header of a user who
    holds every role."""
    APP.dependency_overrides[get_session] = partial(sessions_on, engine)
    APP.dependency_overrides[get_settings] = lambda: settings
    with TestClient(APP) as client:
        seed(client, make_user, run_flows, helpers)
    SEEDED.update(existing(engine))
    _, token = make_user(*EVERY_ROLE, name="Every Role")
    yield dict(helpers.auth(token))
    APP.dependency_overrides.clear()
    SEEDED.clear()


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_fuzzed(case: Any, every_role: dict[str, str]) -> None:
    case.call_and_validate(headers=every_role, checks=CHECKS)
