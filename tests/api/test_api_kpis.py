"""Contract KPIs over the API, on SQLite and PostgreSQL: a contract over 5,000,000 enters
monitoring only with 3 KPIs or procurement's reason (s.52); reviews report each KPI; the
KPIs are assessed with the Act's ratings (s.71); each refused for the wrong person, bad input
and a second time."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.kpis import add_months
from lifecycle.models import Case, Contract, Kpi, KpiResult, User
from lifecycle.rules import Stage
from lifecycle.settings import Settings
from tests.api.kpi_support import TODAY, awaiting_register_verification, contract_case
from tests.conftest import auth

KPIS = [
    {"name": "Missed bins", "measure": "missed per 100,000 collections", "target": "under 30"},
    {"name": "Recycling rate", "measure": "share of household waste", "target": "55%"},
    {"name": "Complaints answered", "measure": "within 10 working days", "target": "95%"},
]


class Team:
    """The people of a contract: requester, manager, procurement, and a stranger."""

    def __init__(self, make_user: Callable[..., tuple[User, str]]) -> None:
        self.requester, self.requester_token = make_user("requester")
        self.manager, self.manager_token = make_user("contract_manager")
        self.procurement, self.procurement_token = make_user("procurement")
        _, self.stranger_token = make_user("requester")


def set_kpis(client: TestClient, case_id: int, token: str, kpis: list[dict[str, str]]) -> list[int]:
    """Set each KPI; returns their ids."""
    ids = []
    for kpi in kpis:
        response = client.post(f"/cases/{case_id}/kpis", json=kpi, headers=auth(token))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_a_large_contract_enters_monitoring_only_with_three_kpis(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
    run_flows: Any,
) -> None:
    team = Team(make_user)
    case_id, gate_id = awaiting_register_verification(
        engine, settings, requester=team.requester, manager=team.manager
    )
    decide = f"/cases/{case_id}/gates/{gate_id}/decision"
    approve = {"decision": "approve"}
    refused = client.post(decide, json=approve, headers=auth(team.procurement_token))
    assert refused.status_code == 409
    assert "at least 3 KPIs" in refused.json()["detail"]
    assert "it sets 0; add 3 more" in refused.json()["detail"]
    set_kpis(client, case_id, team.manager_token, KPIS[:2])
    refused = client.post(decide, json=approve, headers=auth(team.procurement_token))
    assert refused.status_code == 409 and "add 1 more" in refused.json()["detail"]

    set_kpis(client, case_id, team.procurement_token, KPIS[2:])
    response = client.post(decide, json=approve, headers=auth(team.procurement_token))
    assert response.status_code == 200, response.text
    run_flows()
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.stage == Stage.MONITORING.value
        contract = session.exec(select(Contract).where(Contract.case_id == case_id)).one()
        assert contract.next_assessment_due == add_months(TODAY, 12)


def test_a_recorded_reason_lets_a_large_contract_go_live_with_fewer_kpis(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id, gate_id = awaiting_register_verification(
        engine, settings, requester=team.requester, manager=team.manager
    )
    path = f"/cases/{case_id}/fewer-kpis-reason"
    reason = {"reason": "A one-off supply: delivery is the only measure."}
    assert client.post(path, json=reason, headers=auth(team.manager_token)).status_code == 403
    assert (
        client.post(path, json={"reason": " "}, headers=auth(team.procurement_token)).status_code
        == 422
    )
    response = client.post(path, json=reason, headers=auth(team.procurement_token))
    assert response.status_code == 201, response.text
    assert response.json()["fewer_kpis_reason"] == reason["reason"]
    assert response.json()["shortfall"] == ""
    again = client.post(path, json=reason, headers=auth(team.procurement_token))
    assert again.status_code == 409 and "already records" in again.json()["detail"]
    decide = f"/cases/{case_id}/gates/{gate_id}/decision"
    response = client.post(
        decide, json={"decision": "approve"}, headers=auth(team.procurement_token)
    )
    assert response.status_code == 200, response.text


def test_setting_kpis_is_refused_for_the_wrong_person_bad_input_a_duplicate_and_a_wrong_stage(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(
        engine, settings, requester=team.requester, manager=team.manager, stage=Stage.SIGNING
    )
    path = f"/cases/{case_id}/kpis"
    assert client.post(path, json=KPIS[0], headers=auth(team.requester_token)).status_code == 403
    assert client.post(path, json=KPIS[0], headers=auth(team.stranger_token)).status_code == 404
    missing = client.post(path, json={"name": "Missed bins"}, headers=auth(team.manager_token))
    assert missing.status_code == 422 and missing.json()["field"] == "measure"
    long = {**KPIS[0], "target": "x" * 201}
    assert client.post(path, json=long, headers=auth(team.manager_token)).status_code == 422
    set_kpis(client, case_id, team.manager_token, KPIS[:1])
    twice = client.post(path, json=KPIS[0], headers=auth(team.procurement_token))
    assert twice.status_code == 409 and twice.json()["field"] == "name"
    assert (
        client.post(
            "/cases/999999/kpis", json=KPIS[1], headers=auth(team.procurement_token)
        ).status_code
        == 404
    )

    early = contract_case(
        engine,
        settings,
        requester=team.requester,
        manager=team.manager,
        stage=Stage.PROCUREMENT,
        contract=False,
    )
    response = client.post(
        f"/cases/{early}/kpis", json=KPIS[0], headers=auth(team.procurement_token)
    )
    assert response.status_code == 409 and "this needs signing" in response.json()["detail"]


def review(results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A review of the last 30 days with these KPI results."""
    return {
        "period_start": (TODAY - timedelta(days=30)).isoformat(),
        "period_end": TODAY.isoformat(),
        "rag": "amber",
        "results": results,
        **extra,
    }


def test_a_review_reports_each_kpi_and_the_case_shows_results_over_time(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(engine, settings, requester=team.requester, manager=team.manager)
    ids = set_kpis(client, case_id, team.manager_token, KPIS)
    path = f"/cases/{case_id}/reviews"
    as_manager = auth(team.manager_token)
    free_form = [{"name": "Other", "target": "1", "result": "1", "rating": "good"}] * 3
    none = client.post(path, json=review([], kpis=free_form), headers=as_manager)
    assert none.status_code == 422 and none.json()["field"] == "results"
    assert "3 missing" in none.json()["detail"]
    results = [
        {"kpi_id": kpi_id, "result": f"{n}", "rating": "good"} for n, kpi_id in enumerate(ids)
    ]
    twice = client.post(path, json=review([*results, results[0]]), headers=as_manager)
    assert twice.status_code == 422 and "more than once" in twice.json()["detail"]
    foreign = [*results[:2], {**results[2], "kpi_id": 2**31 - 1}]
    assert client.post(path, json=review(foreign), headers=as_manager).status_code == 422
    bad = [*results[:2], {**results[2], "rating": "excellent"}]
    assert client.post(path, json=review(bad), headers=as_manager).status_code == 422
    procurement = client.post(path, json=review(results), headers=auth(team.procurement_token))
    assert procurement.status_code == 403

    first = review(results)
    first["period_start"] = (TODAY - timedelta(days=90)).isoformat()
    first["period_end"] = (TODAY - timedelta(days=60)).isoformat()
    assert client.post(path, json=first, headers=as_manager).status_code == 201
    later = [{**result, "result": "worse", "rating": "inadequate"} for result in results]
    response = client.post(path, json=review(later), headers=as_manager)
    assert response.status_code == 201, response.text
    with Session(engine) as session:
        assert len(session.exec(select(KpiResult)).all()) == 6

    shown = client.get(f"/cases/{case_id}/kpis", headers=auth(team.requester_token))
    assert shown.status_code == 200
    body = shown.json()
    assert [each["kpi"]["name"] for each in body["kpis"]] == [kpi["name"] for kpi in KPIS]
    points = body["kpis"][0]["points"]
    assert [(p["kind"], p["rating"]) for p in points] == [
        ("review", "good"),
        ("review", "inadequate"),
    ]
    assert points[0]["period_end"] < points[1]["period_end"]
    assert (
        client.get(f"/cases/{case_id}/kpis", headers=auth(team.stranger_token)).status_code == 404
    )


def test_a_small_contract_without_kpis_keeps_free_form_reviews(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(
        engine, settings, requester=team.requester, manager=team.manager, value_pence=80_000_00
    )
    body = review(
        [], kpis=[{"name": "Uptime", "target": "99%", "result": "99.5%", "rating": "good"}]
    )
    response = client.post(f"/cases/{case_id}/reviews", json=body, headers=auth(team.manager_token))
    assert response.status_code == 201, response.text
    stray = review([{"kpi_id": 1, "result": "1", "rating": "good"}])
    refused = client.post(f"/cases/{case_id}/reviews", json=stray, headers=auth(team.manager_token))
    assert refused.status_code == 422 and "sets no KPIs" in refused.json()["detail"]


def test_an_assessment_rates_every_kpi_once_a_period_and_sets_the_next_due_date(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(
        engine,
        settings,
        requester=team.requester,
        manager=team.manager,
        next_assessment_due=TODAY - timedelta(days=3),
    )
    ids = set_kpis(client, case_id, team.manager_token, KPIS)
    path = f"/cases/{case_id}/assessments"
    ratings = [
        {"kpi_id": ids[0], "rating": "good"},
        {"kpi_id": ids[1], "rating": "approaching_target"},
        {"kpi_id": ids[2], "rating": "requires_improvement"},
    ]
    body = {"period_end": TODAY.isoformat(), "ratings": ratings, "notes": "Year one"}
    assert client.post(path, json=body, headers=auth(team.requester_token)).status_code == 403
    assert client.post(path, json=body, headers=auth(team.stranger_token)).status_code == 404
    short = client.post(
        path, json={**body, "ratings": ratings[:2]}, headers=auth(team.manager_token)
    )
    assert short.status_code == 422 and short.json()["field"] == "ratings"
    wrong = [{**ratings[0], "rating": "excellent"}, *ratings[1:]]
    assert (
        client.post(
            path, json={**body, "ratings": wrong}, headers=auth(team.manager_token)
        ).status_code
        == 422
    )
    future = {**body, "period_end": (TODAY + timedelta(days=1)).isoformat()}
    response = client.post(path, json=future, headers=auth(team.manager_token))
    assert response.status_code == 422 and response.json()["field"] == "period_end"

    response = client.post(path, json=body, headers=auth(team.manager_token))
    assert response.status_code == 201, response.text
    assert response.json()["next_assessment_due"] == add_months(TODAY, 12).isoformat()
    points = response.json()["kpis"][1]["points"]
    assert [(p["kind"], p["rating"]) for p in points] == [("assessment", "approaching_target")]
    again = client.post(path, json=body, headers=auth(team.procurement_token))
    assert again.status_code == 409 and "already assessed" in again.json()["detail"]


def test_an_assessment_needs_a_live_contract_with_kpis(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    signing = contract_case(
        engine, settings, requester=team.requester, manager=team.manager, stage=Stage.SIGNING
    )
    ids = set_kpis(client, signing, team.manager_token, KPIS[:1])
    body = {"period_end": TODAY.isoformat(), "ratings": [{"kpi_id": ids[0], "rating": "good"}]}
    response = client.post(
        f"/cases/{signing}/assessments", json=body, headers=auth(team.manager_token)
    )
    assert response.status_code == 409
    bare = contract_case(
        engine, settings, requester=team.requester, manager=team.manager, value_pence=80_000_00
    )
    response = client.post(
        f"/cases/{bare}/assessments", json=body, headers=auth(team.manager_token)
    )
    assert response.status_code == 409 and "sets no KPIs" in response.json()["detail"]


def test_a_kpi_is_changed_with_a_reason_and_keeps_its_results_and_its_history(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(engine, settings, requester=team.requester, manager=team.manager)
    ids = set_kpis(client, case_id, team.manager_token, KPIS)
    results = [{"kpi_id": kpi_id, "result": "1", "rating": "good"} for kpi_id in ids]
    reviewed = client.post(
        f"/cases/{case_id}/reviews", json=review(results), headers=auth(team.manager_token)
    )
    assert reviewed.status_code == 201, reviewed.text
    change = {**KPIS[0], "target": "under 25", "reason": "Agreed at the annual review"}
    path = f"/cases/{case_id}/kpis/{ids[0]}"
    response = client.put(path, json=change, headers=auth(team.procurement_token))
    assert response.status_code == 200, response.text
    assert response.json()["target"] == "under 25" and response.json()["id"] == ids[0]

    shown = client.get(f"/cases/{case_id}/kpis", headers=auth(team.requester_token)).json()
    assert shown["kpis"][0]["kpi"]["target"] == "under 25"
    assert [p["rating"] for p in shown["kpis"][0]["points"]] == ["good"]  # results stay
    history = client.get(f"/cases/{case_id}", headers=auth(team.requester_token)).json()
    changed = [e for e in history["timeline"] if e["action"] == "kpi_changed"]
    assert changed[0]["detail"]["changes"] == {"target": ["under 30", "under 25"]}
    assert changed[0]["detail"]["reason"] == "Agreed at the annual review"

    renamed = {**change, "name": "Missed collections"}
    assert client.put(path, json=renamed, headers=auth(team.manager_token)).status_code == 200
    with Session(engine) as session:
        names = [kpi.name for kpi in session.exec(select(Kpi).order_by(Kpi.id))]  # type: ignore[arg-type]
    assert names == ["Missed collections", KPIS[1]["name"], KPIS[2]["name"]]


def test_changing_a_kpi_is_refused_for_the_wrong_person_bad_input_no_change_and_a_taken_name(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    case_id = contract_case(engine, settings, requester=team.requester, manager=team.manager)
    ids = set_kpis(client, case_id, team.manager_token, KPIS[:2])
    other = contract_case(engine, settings, requester=team.requester, manager=team.manager)
    [foreign] = set_kpis(client, other, team.manager_token, KPIS[:1])
    change = {**KPIS[0], "target": "under 25", "reason": "Agreed"}
    path = f"/cases/{case_id}/kpis/{ids[0]}"
    as_manager = auth(team.manager_token)
    # Permission before existence: the requester is refused whether or not the KPI exists.
    for kpi_id in (ids[0], 999_999):
        refused = client.put(
            f"/cases/{case_id}/kpis/{kpi_id}", json=change, headers=auth(team.requester_token)
        )
        assert refused.status_code == 403
    assert client.put(path, json=change, headers=auth(team.stranger_token)).status_code == 404
    for kpi_id in (999_999, foreign):
        unknown = client.put(f"/cases/{case_id}/kpis/{kpi_id}", json=change, headers=as_manager)
        assert unknown.status_code == 404 and str(kpi_id) not in unknown.text
    for kpi_id in ("0", "abc", str(2**40)):
        assert (
            client.put(
                f"/cases/{case_id}/kpis/{kpi_id}", json=change, headers=as_manager
            ).status_code
            == 422
        )
    no_reason = client.put(path, json={**KPIS[0], "target": "x"}, headers=as_manager)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    same = client.put(path, json={**KPIS[0], "reason": "No reason"}, headers=as_manager)
    assert same.status_code == 422 and "nothing changes" in same.json()["detail"]
    taken = client.put(path, json={**KPIS[1], "reason": "Merge"}, headers=as_manager)
    assert taken.status_code == 409 and taken.json()["field"] == "name"
    long = {**change, "target": "x" * 201}
    assert client.put(path, json=long, headers=as_manager).status_code == 422
    with Session(engine) as session:
        kpi = session.get(Kpi, ids[0])
        assert kpi is not None and (kpi.name, kpi.target) == (KPIS[0]["name"], KPIS[0]["target"])


def test_a_reason_for_fewer_kpis_is_refused_where_nothing_needs_explaining(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    team = Team(make_user)
    small = contract_case(
        engine, settings, requester=team.requester, manager=team.manager, value_pence=80_000_00
    )
    large = contract_case(engine, settings, requester=team.requester, manager=team.manager)
    set_kpis(client, large, team.manager_token, KPIS)
    for case_id in (small, large):
        refused = client.post(
            f"/cases/{case_id}/fewer-kpis-reason",
            json={"reason": "One output"},
            headers=auth(team.procurement_token),
        )
        assert refused.status_code == 409 and "nothing to explain" in refused.json()["detail"]
    with Session(engine) as session:
        assert all(case.fewer_kpis_reason is None for case in session.exec(select(Case)))
