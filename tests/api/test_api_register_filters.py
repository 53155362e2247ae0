"""The public register's filters over the API: each filter, the sort orders, paging with a
total, the CSV streamed in batches with the same filter, unpublished entries never shown, and
junk refused naming the field without repeating it."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.routers import register as register_router
from lifecycle.db import transaction
from lifecycle.models import Case, RegisterEntry, User
from lifecycle.schemas import MAX_PENCE
from lifecycle.services import register, users

# Six entries; only the first four are public (published or ended).
HIGHWAYS = {
    "title": "Highways maintenance",
    "department": "Highways",
    "description": "Potholes and resurfacing",
    "supplier_name": "Acme Highways Ltd",
    "value_pence": 10_000_00,
    "start_date": date(2026, 1, 10),
    "end_date": date(2027, 1, 9),
}
HOME_CARE = {
    "title": "Home care framework",
    "department": "Adult Social Care",
    "description": "Visits at home",
    "supplier_name": "Carewell CIC",
    "value_pence": 250_000_00,
    "start_date": date(2026, 4, 1),
    "end_date": date(2030, 3, 31),
    "sme": True,
    "vcse": True,
}
LAPTOPS = {
    "title": "Laptops",
    "department": "IT",
    "description": "200 laptops for social workers",
    "supplier_name": "Pennine Digital Ltd",
    "value_pence": 45_000_00,
    "start_date": date(2026, 6, 1),
    "end_date": date(2028, 5, 31),
}
GROUNDS = {
    "title": "Grounds maintenance",
    "department": "Highways",
    "description": "Verges and parks",
    "supplier_name": "Greenway Grounds Ltd",
    "value_pence": 75_500_50,
    "start_date": date(2025, 9, 1),
    "end_date": date(2026, 8, 31),
    "status": "ended",
    "ended_on": date(2026, 8, 31),
}
DRAFT = {**LAPTOPS, "title": "Secret draft", "supplier_name": "Hidden Ltd", "status": "draft"}
VERIFIED = {**HIGHWAYS, "title": "Verified only", "department": "Unpublished Dept"}


def publish(engine: Engine, *rows: dict[str, Any]) -> list[str]:
    """Put register entries straight into the database (published unless a row says
    otherwise), each with the case it belongs to; returns their references in order."""
    references = []
    with transaction(engine) as session:
        owner = session.exec(select(User)).first()
        if owner is None:
            owner, _ = users.create(
                session, name="Register Owner", email="owner@council.example", roles=["requester"]
            )
        taken = session.exec(select(func.count()).select_from(Case)).one()
        for number, row in enumerate(rows, start=taken + 1):
            values = {
                "status": "published",
                "reference": f"PR-2026-{number:04d}",
                "title": f"Contract {number}",
                "department": "Finance",
                "description": "A contract",
                "supplier_name": "Supplier Ltd",
                "supplier_registration_number": "01234567",
                "value_pence": 10_000_00,
                "start_date": date(2026, 1, 1),
                "end_date": date(2027, 1, 1),
                "review_date": date(2026, 7, 1),
                "procurement_process": "Invitation to quote",
                "contract_manager_name": "Sam Manager",
                **row,
            }
            values["ocid"] = f"ocds-procure-{values['reference']}"
            case = Case(
                reference=values["reference"],
                ocid=values["ocid"],
                title=values["title"],
                description=values["description"],
                category="services",
                department=values["department"],
                estimated_value_pence=values["value_pence"],
                needed_by=date(2027, 1, 1),
                contract_required=True,
                route="quotes",
                contract=True,
                stage="monitoring",
                status="in_progress",
                requester_id=owner.id,
            )
            session.add(case)
            session.flush()
            session.add(RegisterEntry(case_id=case.id, **values))
            references.append(values["reference"])
    return references


@pytest.fixture
def sample(engine: Engine) -> dict[str, str]:
    """The six entries, by name: their references."""
    names = ("highways", "home_care", "laptops", "grounds", "draft", "verified")
    rows = (HIGHWAYS, HOME_CARE, LAPTOPS, GROUNDS, DRAFT, {**VERIFIED, "status": "verified"})
    return dict(zip(names, publish(engine, *rows), strict=True))


def references(client: TestClient, query: str = "") -> list[str]:
    """The references `/register` answers with, in order."""
    response = client.get(f"/register{query}")
    assert response.status_code == 200, response.text
    return [entry["reference"] for entry in response.json()]


def csv_references(text: str) -> list[str]:
    """The references in a CSV, in order."""
    return [row["Reference"] for row in csv.DictReader(io.StringIO(text))]


def test_without_parameters_both_answer_as_before(
    client: TestClient, engine: Engine, sample: dict[str, str]
) -> None:
    """Every public entry, by reference; the CSV is byte for byte what `to_csv` made."""
    public = [sample[name] for name in ("highways", "home_care", "laptops", "grounds")]
    assert references(client) == public
    response = client.get("/register.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="contract-register.csv"'
    )
    with Session(engine) as session:
        assert response.text == register.to_csv(register.published(session))
    assert csv_references(response.text) == public


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=laptop", ["laptops"]),
        ("?q=RESURFACING", ["highways"]),
        ("?q=carewell", ["home_care"]),
        ("?q=PR-2026-0004", ["grounds"]),
        ("?q=hidden", []),
        ("?q=%25", []),
        ("?q=_", []),
        ("?department=Highways", ["highways", "grounds"]),
        ("?department=Unpublished%20Dept", []),
        ("?supplier=grounds", ["grounds"]),
        ("?supplier=ltd", ["highways", "laptops", "grounds"]),
        ("?start_from=2026-04-01", ["home_care", "laptops"]),
        ("?start_to=2026-01-10", ["highways", "grounds"]),
        ("?end_from=2028-01-01", ["home_care", "laptops"]),
        ("?end_to=2026-12-31", ["grounds"]),
        ("?min_value_pence=4500000", ["home_care", "laptops", "grounds"]),
        ("?max_value_pence=4500000", ["highways", "laptops"]),
        ("?department=Highways&min_value_pence=5000000", ["grounds"]),
        ("?start_from=2026-01-01&start_to=2026-05-01&supplier=c", ["highways", "home_care"]),
    ],
)
def test_each_filter(
    client: TestClient, sample: dict[str, str], query: str, expected: list[str]
) -> None:
    """Each filter alone and together, over published entries only; the JSON, its total and
    the CSV agree."""
    wanted = [sample[name] for name in expected]
    assert references(client, query) == wanted
    assert client.get(f"/register{query}").headers["x-total-count"] == str(len(wanted))
    assert csv_references(client.get(f"/register.csv{query}").text) == wanted


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sort=value&order=desc", ["home_care", "grounds", "laptops", "highways"]),
        ("?sort=supplier", ["highways", "home_care", "grounds", "laptops"]),
        ("?sort=title", ["grounds", "highways", "home_care", "laptops"]),
        ("?sort=start_date", ["grounds", "highways", "home_care", "laptops"]),
        ("?sort=end_date&order=desc", ["home_care", "laptops", "highways", "grounds"]),
        ("?sort=reference&order=desc", ["grounds", "laptops", "home_care", "highways"]),
    ],
)
def test_sort_orders(
    client: TestClient, sample: dict[str, str], query: str, expected: list[str]
) -> None:
    """Each sort key, either way, in the JSON and the CSV alike."""
    wanted = [sample[name] for name in expected]
    assert references(client, query) == wanted
    assert csv_references(client.get(f"/register.csv{query}").text) == wanted


def test_paging_with_the_total(client: TestClient, sample: dict[str, str]) -> None:
    """limit and offset page through the matches; the total counts them all."""
    response = client.get("/register?sort=value&limit=2&offset=1")
    assert [entry["reference"] for entry in response.json()] == [
        sample["laptops"],
        sample["grounds"],
    ]
    assert response.headers["x-total-count"] == "4"
    assert references(client, "?offset=10") == []


def test_the_csv_streams_in_batches_without_losing_or_repeating_a_row(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two over entries whose sort keys tie: each batch resumes after the last row
    sent, so the CSV holds every match once, in the order of the JSON."""
    publish(
        engine,
        *(
            {"supplier_name": supplier, "value_pence": 6_000_00 + number % 3}
            for number, supplier in enumerate(["Beta Ltd", "alpha Ltd", "Beta Ltd"] * 3)
        ),
        {"status": "submitted", "supplier_name": "Alpha Ltd"},
    )
    monkeypatch.setattr(register_router, "CSV_BATCH", 2)
    for query in ("?sort=supplier", "?sort=supplier&order=desc", "?sort=value&order=desc"):
        response = client.get(f"/register.csv{query}")
        assert "content-length" not in response.headers  # sent as it is read
        streamed = csv_references(response.text)
        assert len(streamed) == len(set(streamed)) == 9
        assert streamed == references(client, query)
    assert response.text.startswith("Reference,OCID,Title,Department,Description")


JUNK = "<script>junk-input-7</script>"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"?q={JUNK * 10}", "q"),
        (f"?department={JUNK * 10}", "department"),
        (f"?supplier={JUNK * 10}", "supplier"),
        (f"?start_from={JUNK}", "start_from"),
        ("?end_to=2026-02-30", "end_to"),
        (f"?min_value_pence={JUNK}", "min_value_pence"),
        ("?min_value_pence=-1", "min_value_pence"),
        (f"?max_value_pence={MAX_PENCE + 1}", "max_value_pence"),
        ("?min_value_pence=500&max_value_pence=400", "max_value_pence"),
        ("?start_from=2026-05-01&start_to=2026-04-30", "start_to"),
        (f"?sort={JUNK}", "sort"),
        (f"?order={JUNK}", "order"),
    ],
)
@pytest.mark.parametrize("path", ["/register", "/register.csv"])
def test_junk_is_refused_naming_the_field(
    client: TestClient, sample: dict[str, str], path: str, query: str, field: str
) -> None:
    """A 422 whose body names the field and does not repeat what was sent."""
    response = client.get(path + query)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert "junk-input-7" not in response.text and "2026-02-30" not in response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?offset=-1", "offset"),
        (f"?offset={10**20}", "offset"),
    ],
)
def test_paging_is_bounded(client: TestClient, query: str, field: str) -> None:
    """limit and offset are bounded like /cases."""
    response = client.get(f"/register{query}")
    assert response.status_code == 422 and response.json()["field"] == field


def test_without_a_limit_the_whole_register_comes_back_as_before(
    client: TestClient, engine: Engine
) -> None:
    """Clients written before paging existed still get every published entry."""
    publish(engine, *({} for _ in range(105)))
    response = client.get("/register")
    assert response.status_code == 200
    assert len(response.json()) == 105 and response.headers["X-Total-Count"] == "105"
