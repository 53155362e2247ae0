"""The case page's KPIs: the manager sets them, reports a result for each in a review and
assesses them with the Act's ratings; the page shows each KPI's results over time, and a form
refused keeps what was typed with the error beside it."""

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.models import Kpi, KpiAssessment
from lifecycle.rules import Stage
from lifecycle.settings import Settings
from tests.api.kpi_support import TODAY, contract_case
from tests.pages.conftest import csrf_of
from tests.pages.test_pages_case import visible


def date_boxes(name: str, day: Any) -> dict[str, str]:
    """A date as a GOV.UK date input posts it."""
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def test_the_manager_sets_kpis_reports_and_assesses_them_and_the_page_shows_them_over_time(
    engine: Engine, settings: Settings, signed_in: Any
) -> None:
    browser, manager, _ = signed_in("contract_manager", name="Mo Manager")
    requester_browser, requester, _ = signed_in("requester", name="Rita Patel")
    case_id = contract_case(engine, settings, requester=requester, manager=manager)
    page = f"/app/cases/{case_id}"
    assert "Set a key performance indicator" in browser.get(page).text

    for name, target in (
        ("Missed bins", "under 30"),
        ("Recycling rate", "55%"),
        ("Complaints", "95%"),
    ):
        fields = {"kpi_name": name, "kpi_measure": "per quarter", "kpi_target": target}
        answer = browser.submit(page, f"{page}/kpis", fields)
        assert answer.status_code == 303, answer.text
    again = browser.submit(
        page, f"{page}/kpis", {"kpi_name": "Missed bins", "kpi_measure": "x", "kpi_target": "y"}
    )
    assert again.status_code == 409 and "already sets this KPI" in visible(again.text)
    with Session(engine) as session:
        ids = [kpi.id for kpi in session.exec(select(Kpi).order_by(Kpi.id))]  # type: ignore[arg-type]

    review = {
        **date_boxes("period_start", TODAY - timedelta(days=30)),
        **date_boxes("period_end", TODAY),
        "rag": "green",
        f"kpiresult-{ids[0]}": "24 missed",
        f"kpirating-{ids[0]}": "good",
        f"kpiresult-{ids[1]}": "51%",
        f"kpirating-{ids[1]}": "approaching_target",
    }
    refused = browser.submit(page, f"{page}/reviews", review)
    assert refused.status_code == 422
    assert "Each of the contract's KPIs needs a result: 1 missing" in visible(refused.text)
    assert 'value="24 missed"' in refused.text
    review.update({f"kpiresult-{ids[2]}": "97%", f"kpirating-{ids[2]}": "good"})
    assert browser.submit(page, f"{page}/reviews", review).status_code == 303

    assessment = {**date_boxes("assessment_period_end", TODAY), f"rating-{ids[0]}": "good"}
    refused = browser.submit(page, f"{page}/assessments", assessment)
    assert refused.status_code == 422 and "needs a rating: 2 missing" in visible(refused.text)
    assessment.update(
        {f"rating-{ids[1]}": "requires_improvement", f"rating-{ids[2]}": "inadequate"}
    )
    assert browser.submit(page, f"{page}/assessments", assessment).status_code == 303
    with Session(engine) as session:
        assert len(session.exec(select(KpiAssessment)).all()) == 3

    shown = visible(requester_browser.get(page).text)
    assert "Key performance indicators" in shown
    assert "Recycling rate (per quarter; target 55%)" in shown
    assert "Review 51% Approaching target" in shown
    assert "Assessment – Requires improvement" in shown
    assert "Next assessment due" in shown
    assert "Assess the KPIs" not in requester_browser.get(page).text


def test_procurement_records_why_a_large_contract_sets_fewer_kpis_from_the_case_page(
    engine: Engine, settings: Settings, signed_in: Any, make_user: Any
) -> None:
    """The form is offered to procurement only while the contract is short of KPIs; an empty
    reason is asked for beside the box; once recorded, the warning and the form go."""
    buyer, _, _ = signed_in("procurement", name="Pat Buyer")
    manager_browser, manager, _ = signed_in("contract_manager", name="Mo Manager")
    requester, _ = make_user("requester")
    case_id = contract_case(
        engine, settings, requester=requester, manager=manager, stage=Stage.SIGNING
    )
    small_id = contract_case(
        engine, settings, requester=requester, manager=manager, value_pence=100_000_00
    )
    page = f"/app/cases/{case_id}"
    shown = visible(buyer.get(page).text)
    assert "sets at least 3 KPIs" in shown and "Record why it sets fewer than 3 KPIs" in shown
    assert "Record why it sets fewer" not in visible(manager_browser.get(page).text)
    assert "Record why it sets fewer" not in visible(buyer.get(f"/app/cases/{small_id}").text)

    empty = buyer.submit(page, f"{page}/fewer-kpis-reason", {"fewer_kpis_reason": "  "})
    assert empty.status_code == 422
    assert 'id="fewer_kpis_reason-error"' in empty.text
    assert "Say why fewer KPIs are appropriate" in visible(empty.text)
    # The manager who reports on the KPIs does not exempt their own contract.
    refused = manager_browser.submit(page, f"{page}/fewer-kpis-reason", {"fewer_kpis_reason": "x"})
    assert refused.status_code == 403

    reason = "One annual inspection: a single KPI measures it"
    done = buyer.submit(page, f"{page}/fewer-kpis-reason", {"fewer_kpis_reason": reason})
    assert done.status_code == 303, done.text
    after = visible(buyer.get(page).text)
    assert "Recorded why the contract sets fewer than 3 KPIs" in after
    assert reason in after and "sets at least 3 KPIs" not in after
    assert "Record why it sets fewer" not in after
    again = buyer.submit(page, f"{page}/fewer-kpis-reason", {"fewer_kpis_reason": "again"})
    assert again.status_code == 409


def test_the_manager_changes_a_kpi_from_its_own_page_and_the_history_says_why(
    engine: Engine, settings: Settings, signed_in: Any, make_user: Any
) -> None:
    browser, manager, _ = signed_in("contract_manager", name="Mo Manager")
    requester_browser, requester, _ = signed_in("requester", name="Rita Patel")
    stranger, _, _ = signed_in("requester", name="Stan Stranger")
    case_id = contract_case(engine, settings, requester=requester, manager=manager)
    other_id = contract_case(engine, settings, requester=requester, manager=manager)
    page = f"/app/cases/{case_id}"
    fields = {"kpi_name": "Missed bins", "kpi_measure": "per quarter", "kpi_target": "under 30"}
    assert browser.submit(page, f"{page}/kpis", fields).status_code == 303
    other = f"/app/cases/{other_id}"
    assert browser.submit(other, f"{other}/kpis", fields).status_code == 303
    with Session(engine) as session:
        kpi_id, foreign_id = [kpi.id for kpi in session.exec(select(Kpi).order_by(Kpi.id))]  # type: ignore[arg-type]
    form_url = f"{page}/kpis/{kpi_id}"
    assert f'href="{form_url}"' in browser.get(page).text
    assert f'href="{form_url}"' not in requester_browser.get(page).text
    form = browser.get(form_url)
    assert form.status_code == 200 and 'value="under 30"' in form.text

    # As the form carries it: the KPI as it read when drawn.
    fields |= {"read_name": "Missed bins", "read_measure": "per quarter", "read_target": "under 30"}
    unsaid = browser.submit(form_url, form_url, {**fields, "kpi_target": "under 25"})
    assert unsaid.status_code == 422
    assert 'id="kpi_reason-error"' in unsaid.text and 'value="under 25"' in unsaid.text
    same = browser.submit(form_url, form_url, {**fields, "kpi_reason": "Checking"})
    assert same.status_code == 422 and "Nothing changes" in visible(same.text)
    done = browser.submit(
        form_url, form_url, {**fields, "kpi_target": "under 25", "kpi_reason": "Agreed in May"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"{page}#kpis"
    shown = visible(browser.get(page).text)
    assert "KPI changed: Missed bins" in shown
    said = "Changed the KPI Missed bins: target from “under 30” to “under 25”. Why: Agreed in May"
    assert said in shown
    assert "target under 25" in shown

    assert requester_browser.get(form_url).status_code == 403
    assert stranger.get(form_url).status_code == 404
    assert browser.get(f"{page}/kpis/{foreign_id}").status_code == 404
    assert browser.get(f"{page}/kpis/99999999999").status_code in (404, 422)
    posted = requester_browser.submit(
        page, form_url, {**fields, "kpi_reason": "x", "kpi_target": "1"}
    )
    assert posted.status_code == 403
    with Session(engine) as session:
        assert session.get(Kpi, kpi_id).target == "under 25"  # type: ignore[union-attr]


def test_a_kpi_form_left_open_never_puts_back_a_change_made_meanwhile(
    engine: Engine, settings: Settings, signed_in: Any, make_user: Any
) -> None:
    browser, manager, _ = signed_in("contract_manager", name="Mo Manager")
    buyer, _, _ = signed_in("procurement", name="Pat Buyer")
    requester, _ = make_user("requester")
    case_id = contract_case(engine, settings, requester=requester, manager=manager)
    page = f"/app/cases/{case_id}"
    for name in ("Missed bins", "Complaints"):
        fields = {"kpi_name": name, "kpi_measure": "per quarter", "kpi_target": "under 30"}
        assert browser.submit(page, f"{page}/kpis", fields).status_code == 303
    with Session(engine) as session:
        kpi_id = session.exec(select(Kpi.id).where(Kpi.name == "Missed bins")).one()
    form_url = f"{page}/kpis/{kpi_id}"
    token = csrf_of(browser.get(form_url).text)  # the manager opens the form, then waits
    as_read = {"read_name": "Missed bins", "read_measure": "per quarter", "read_target": "under 30"}
    mine = {"kpi_name": "Missed bins", "kpi_measure": "per quarter", "kpi_reason": "Tighter"}
    theirs = {**mine, **as_read, "kpi_target": "under 25", "kpi_reason": "Agreed in May"}
    assert buyer.submit(form_url, form_url, theirs).status_code == 303

    stale = browser.client.post(
        form_url,
        data={"csrf_token": token, **as_read, **mine, "kpi_name": "Bins", "kpi_target": "under 20"},
        follow_redirects=False,
    )
    assert stale.status_code == 409
    assert "changed by someone else since you opened this form" in visible(stale.text)
    assert 'value="under 25"' in stale.text and 'name="read_target" value="under 25"' in stale.text
    with Session(engine) as session:
        kpi = session.get(Kpi, kpi_id)
        assert kpi is not None and (kpi.name, kpi.target) == ("Missed bins", "under 25")

    now = {**as_read, "read_target": "under 25"}
    taken = browser.submit(
        form_url, form_url, {**now, **mine, "kpi_name": "Complaints", "kpi_target": "under 25"}
    )
    assert taken.status_code == 409 and 'id="kpi_name-error"' in taken.text
    assert "already sets a KPI called that" in visible(taken.text)
    assert 'name="read_target" value="under 25"' in taken.text  # still as first read
