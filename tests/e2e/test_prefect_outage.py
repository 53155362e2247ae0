"""With the Prefect server stopped mid-case, the API still takes work; when Prefect is back
the waiting flow runs go, once each, and nothing is lost."""

import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Api, PrefectServer, Product, wait_until

pytestmark = pytest.mark.e2e


def new_case(api: Api, title: str) -> dict[str, Any]:
    """Raise a purchase request that needs a contract."""
    response = api.post(
        "/cases",
        json={
            "title": title,
            "description": "Outage test purchase",
            "category": "services",
            "department": "Resources",
            "estimated_value_pence": 40_000_00,
            "needed_by": (date.today() + timedelta(days=90)).isoformat(),
            "contract_required": True,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_prefect_server_stopped_mid_case_loses_nothing(
    product_factory: Callable[..., Product], tmp_path: Path
) -> None:
    prefect = PrefectServer(tmp_path / "prefect-home")
    prefect.start()
    try:
        product = product_factory(prefect.url)
        product.start()
        requester = Api(
            product.url, product.create_user("Rae", "rae@council.example", "requester")[1]
        )
        legal = Api(product.url, product.create_user("Lin", "lin@council.example", "legal")[1])
        admin = Api(product.url, product.create_user("Ada", "ada@council.example", "admin")[1])

        first = new_case(requester, "Payroll service")
        gate = wait_until(lambda: legal.case(first["id"])["pending_gate"], what="legal gate")

        prefect.stop()
        began = time.monotonic()
        decision = legal.post(
            f"/cases/{first['id']}/gates/{gate['id']}/decision",
            json={"decision": "approve", "contract_type": "Services", "key_contract": False},
        )
        second = new_case(requester, "Translation service")
        assert decision.status_code == 200, decision.text
        assert time.monotonic() - began < 3, "the API waited on Prefect"
        assert legal.case(first["id"])["stage"] == "procurement"

        def waiting_with_error() -> bool:
            procurement = legal.case(first["id"])["flow_runs"][-1]
            return (
                procurement["flow_name"] == "procurement"
                and procurement["status"] == "pending"
                and procurement["attempts"] >= 1
                and bool(procurement["last_error"])
            )

        def second_waiting() -> bool:
            # Pending again once its own try (a couple of seconds of retries) has given up.
            return [r["status"] for r in legal.case(second["id"])["flow_runs"]] == ["pending"]

        wait_until(waiting_with_error, timeout=30, what="the dispatcher to try and wait")
        wait_until(second_waiting, timeout=30, what="the second case's run to wait")

        prefect.start()
        wait_until(
            lambda: legal.case(second["id"])["pending_gate"],
            timeout=120,
            what="the second case's legal gate once Prefect is back",
        )
        wait_until(
            lambda: all(
                r["status"] == "completed"
                for case in (first, second)
                for r in legal.case(case["id"])["flow_runs"]
            ),
            timeout=120,
            what="every waiting flow run to complete",
        )
        first_runs = [r["flow_name"] for r in legal.case(first["id"])["flow_runs"]]
        assert first_runs == ["purchase-request", "legal-consultation", "procurement"]
        second_detail = legal.case(second["id"])
        assert [g["kind"] for g in second_detail["gates"]] == ["legal_consultation"]
        received = [m["key"] for m in admin.get("/outbox/mail").json()]
        assert len(received) == len(set(received))
        assert sum(key.endswith(":request-received") for key in received) == 2
    finally:
        prefect.stop()
