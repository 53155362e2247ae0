"""`procure register publish --quarter`: the register frozen at a quarter's end as the
Transparency Code CSV and an OCDS release package, kept for download, with what changed since
the quarter before; a rerun gives the same bytes. On SQLite and PostgreSQL."""

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lifecycle import clock
from lifecycle.calendar import start_of_day
from lifecycle.db import transaction
from lifecycle.ocds import timestamp
from lifecycle.quarters import quarter_of
from lifecycle.services import quarters
from lifecycle.settings import Settings
from tests.api.test_api_ocds import walk_case
from tests.ocds_check import assert_valid

# The Transparency Code 2015 contract fields (and the department responsible).
TRANSPARENCY_CODE = {
    "Reference",
    "Title",
    "Department",
    "Description",
    "Supplier name",
    "Supplier registration number",
    "SME",
    "VCSE",
    "Start date",
    "End date",
    "Review date",
    "Value (GBP, whole life)",
    "Irrecoverable VAT (GBP)",
    "Procurement process",
}


def test_quarters_are_frozen_kept_and_compared(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    run_flows: Callable[..., list[str]],
    helpers: Any,
    cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr("api.quarters_cli.get_settings", lambda: settings)
    steps = walk_case(client, make_user, run_flows, helpers, monkeypatch)
    case = next(case for stage, case, _ in steps if stage == "monitoring")
    this = quarter_of(clock.today())
    before = quarter_of(this.first_day - timedelta(days=1))
    after = quarter_of(this.last_day + timedelta(days=1))
    quarter, previous, following = this.label, before.label, after.label

    code, _, err = cli("register", "publish", "--quarter", quarter)
    assert code == 2 and "has not ended" in err
    monkeypatch.setattr(clock, "today", lambda: this.last_day + timedelta(days=2))
    code, out, _ = cli("register", "publish", "--quarter", previous)
    assert code == 0 and "0 entries" in out and "nothing to compare with" in out
    code, out, _ = cli("register", "publish", "--quarter", quarter, "--out", str(tmp_path / "a"))
    assert code == 0, out
    assert f"{quarter} published: 1 entries" in out
    assert f"since {previous}: 1 added, 0 removed, 0 changed\n  added {case['reference']}" in out

    first_csv = (tmp_path / "a" / f"contract-register-{quarter}.csv").read_bytes()
    first_package = (tmp_path / "a" / f"releases-{quarter}.json").read_bytes()
    header, row = list(csv.reader(io.StringIO(first_csv.decode())))
    assert set(header) >= TRANSPARENCY_CODE
    record = dict(zip(header, row, strict=True))
    assert (record["Reference"], record["Status"], record["Value (GBP, whole life)"]) == (
        case["reference"],
        "published",
        "88000.00",
    )
    package = json.loads(first_package)
    assert_valid("release", package)
    assert package["publishedDate"] == timestamp(start_of_day(after.first_day))
    assert {r["ocid"] for r in package["releases"]} == {case["ocid"]}

    # A rerun: the same bytes, stored and rebuilt alike.
    code, out, _ = cli("register", "publish", "--quarter", quarter, "--out", str(tmp_path / "b"))
    assert code == 0 and "was already published" in out
    assert (tmp_path / "b" / f"contract-register-{quarter}.csv").read_bytes() == first_csv
    assert (tmp_path / "b" / f"releases-{quarter}.json").read_bytes() == first_package
    with transaction(engine) as session:
        rebuilt = quarters.build(session, quarter=quarters.quarter_from(quarter), settings=settings)
    assert (rebuilt[0].encode(), rebuilt[1].encode()) == (first_csv, first_package)

    # The contract goes on to end; the next quarter shows it ended, and the last one is frozen.
    assert [stage for stage, _, _ in steps][-1] == "closed"
    monkeypatch.setattr(clock, "today", lambda: after.last_day + timedelta(days=2))
    code, out, _ = cli("register", "publish", "--quarter", following)
    assert code == 0
    assert f"since {quarter}: 0 added, 0 removed, 1 changed\n  changed {case['reference']}:" in out
    assert "Ended on" in out and "Status" in out
    assert client.get(f"/register/quarters/{quarter}/register.csv").content == first_csv
    assert client.get(f"/register/quarters/{quarter}/releases.json").content == first_package

    listed = client.get("/register/quarters").json()
    assert [q["quarter"] for q in listed] == [following, quarter, previous]
    assert listed[1]["changes"] == {
        "added": [case["reference"]],
        "removed": [],
        "changed": {},
        "since": previous,
    }
    assert client.get(f"/register/quarters/{previous}/releases.json").status_code == 404
    assert client.get("/register/quarters/2025-Q1").status_code == 404
    for bad in ("2026-Q5", "26-Q1", "2026Q1"):
        response = client.get(f"/register/quarters/{bad}/register.csv")
        assert response.status_code == 422 and bad not in response.text
    code, _, err = cli("register", "publish", "--quarter", "2026-Q9")
    assert code == 2 and "written like" in err
