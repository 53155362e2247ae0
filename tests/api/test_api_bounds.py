"""Numbers and dates are bounded to what the domain allows: past the bounds is a 422 naming the
field, never a 500 and never a contract the monitoring flow cannot schedule."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lifecycle.schemas import LATEST_DATE, ContractIn


@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_contract_date_near_the_end_of_time_is_refused(field: str) -> None:
    """9999-12-31 once made the monitoring flow crash scheduling the next review."""
    dates = {
        "start_date": "2026-02-01",
        "end_date": "2027-02-01",
        "supplier_signed_on": "2026-01-10",
        "council_signed_on": "2026-01-10",
        field: "9999-12-31",
    }
    with pytest.raises(ValueError) as caught:
        ContractIn.model_validate(dates)
    assert field in str(caught.value)
    assert date(9999, 12, 31) > LATEST_DATE


def test_a_request_needed_in_the_far_future_is_refused_naming_the_field(
    client: TestClient, make_user: Any, helpers: Any
) -> None:
    _, token = make_user("requester")
    body = helpers.purchase_request(needed_by="9999-12-31")
    response = client.post("/cases", json=body, headers=helpers.auth(token))
    assert response.status_code == 422
    assert response.json()["field"] == "needed_by" and "9999-12-31" not in response.text


@pytest.mark.parametrize("offset", [2**63, 10**30])
def test_an_offset_past_any_register_is_refused(
    client: TestClient, make_user: Any, helpers: Any, offset: int
) -> None:
    """Integers past 2**63 once reached the database and came back as a 500."""
    _, token = make_user("legal")
    response = client.get(f"/cases?offset={offset}", headers=helpers.auth(token))
    assert response.status_code == 422
