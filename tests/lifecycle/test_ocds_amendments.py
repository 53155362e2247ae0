"""OCDS releases of a live contract's changes and KPI assessments: each change an amendment
release, every release showing the value and end date as they stood at its event, valid against
the official 1.1.5 schemas."""

import json
from dataclasses import replace
from datetime import date

from lifecycle import ocds
from lifecycle.ocds_record import record, record_package, release_package
from tests.lifecycle.test_ocds_releases import BUYER, PUBLISHER, at, whole_case
from tests.ocds_check import assert_valid

OCID = "ocds-procure-PR-2026-0001"
VARIATION = ocds.ChangeFacts(
    id=40,
    at=at(60),
    variation=1,
    rationale="More roads adopted by the council",
    description="Twelve more roads; value £425,000.00 to £450,000.00.",
    value_before_pence=425_000_00,
    value_after_pence=450_000_00,
    end_before=date(2030, 2, 28),
    end_after=date(2031, 2, 28),
)
EXTENSION = ocds.ChangeFacts(
    id=41,
    at=at(80),
    variation=None,
    rationale="The contract's option to extend its term was exercised.",
    description="Contract extended; end date 2031-02-28 to 2032-02-28.",
    value_before_pence=None,
    value_after_pence=None,
    end_before=date(2031, 2, 28),
    end_after=date(2032, 2, 28),
)
ASSESSMENT = ocds.AssessmentFacts(
    id=42,
    period_end=date(2026, 4, 30),
    ratings=("good", "inadequate"),
    lines=("Response time: good", "Repairs: inadequate"),
    at=at(100),
)


def before_changes() -> ocds.CaseFacts:
    """The whole case while running, before any change: no termination yet."""
    case = whole_case()
    return replace(
        case,
        contract=replace(case.contract, ended_on=None, exit_reason=None) if case.contract else None,
        events=tuple(e for e in case.events if e.kind is not ocds.EventKind.TERMINATION),
    )


def after_changes() -> ocds.CaseFacts:
    """The same case once the variation, the extension and an assessment are applied: the
    register and contract hold today's values, the changes what they were before."""
    case = before_changes()
    assert case.register is not None and case.contract is not None
    return replace(
        case,
        register=replace(case.register, value_pence=450_000_00, end_date=date(2032, 2, 28)),
        contract=replace(case.contract, end_date=date(2032, 2, 28)),
        changes=(VARIATION, EXTENSION),
        assessments=(ASSESSMENT,),
        events=(
            *case.events,
            ocds.Event(40, at(60), ocds.EventKind.AMENDMENT, ref=40),
            ocds.Event(41, at(80), ocds.EventKind.AMENDMENT, ref=41),
            ocds.Event(42, at(100), ocds.EventKind.ASSESSMENT, ref=42),
        ),
    )


def by_id(releases: list[ocds.Json]) -> dict[str, ocds.Json]:
    """Releases by their id."""
    return {r["id"]: r for r in releases}


def test_each_change_is_a_valid_amendment_release_with_the_value_and_period_after_it() -> None:
    built = by_id(ocds.releases(after_changes(), BUYER))
    variation, extension = built[f"{OCID}-40"], built[f"{OCID}-41"]
    assert variation["tag"] == extension["tag"] == ["contractAmendment"]
    (contract,) = variation["contracts"]
    assert contract["value"] == {"amount": 450000.0, "currency": "GBP"}
    assert contract["period"] == {
        "startDate": "2026-03-01T00:00:00Z",
        "endDate": "2031-02-28T00:00:00Z",
    }
    assert contract["amendments"] == [
        {
            "id": f"{OCID}-amendment-40",
            "date": "2026-03-06T09:30:00Z",
            "rationale": "More roads adopted by the council",
            "description": "Twelve more roads; value £425,000.00 to £450,000.00.",
            "releaseID": f"{OCID}-40",
            # The register entry's release shows the contract as it was before.
            "amendsReleaseID": f"{OCID}-20",
        }
    ]
    (contract,) = extension["contracts"]
    assert contract["value"]["amount"] == 450000.0
    assert contract["period"]["endDate"] == "2032-02-28T00:00:00Z"
    assert [a["id"] for a in contract["amendments"]] == [
        f"{OCID}-amendment-40",
        f"{OCID}-amendment-41",
    ]
    assert contract["amendments"][1]["amendsReleaseID"] == f"{OCID}-40"
    for release in (variation, extension):
        assert_valid("single", release)


def test_a_kpi_assessment_is_a_valid_implementation_release() -> None:
    release = by_id(ocds.releases(after_changes(), BUYER))[f"{OCID}-42"]
    assert release["tag"] == ["implementation"]
    (milestone,) = release["contracts"][0]["implementation"]["milestones"]
    assert milestone == {
        "id": "kpi-assessment-42",
        "title": "KPI assessment to 2026-04-30",
        "type": "assessment",
        "status": "notMet",  # one KPI inadequate
        "dueDate": "2026-04-30T00:00:00Z",
        "dateMet": "2026-04-15T09:30:00Z",
        "description": "Response time: good; Repairs: inadequate",
    }
    assert_valid("single", release)
    good = replace(ASSESSMENT, ratings=("good", "good"))
    case = replace(after_changes(), assessments=(good,))
    again = by_id(ocds.releases(case, BUYER))[f"{OCID}-42"]
    assert again["contracts"][0]["implementation"]["milestones"][0]["status"] == "met"


def test_earlier_releases_do_not_change_when_the_contract_does() -> None:
    before = ocds.releases(before_changes(), BUYER)
    after = by_id(ocds.releases(after_changes(), BUYER))
    for release in before:
        assert json.dumps(after[release["id"]]) == json.dumps(release), release["tag"]
    register = after[f"{OCID}-20"]["contracts"][0]
    assert register["value"]["amount"] == 425000.0
    assert register["period"]["endDate"] == "2030-02-28T00:00:00Z"
    signed = after[f"{OCID}-14"]["contracts"][0]
    assert signed["period"]["endDate"] == "2030-02-28T00:00:00Z"
    # The review after the variation but before the extension sits between the two.
    assert ocds.as_at(after_changes(), ocds.Event(33, at(70), ocds.EventKind.REVIEW), *NOW) == (
        450_000_00,
        date(2031, 2, 28),
    )


NOW = (450_000_00, date(2032, 2, 28))


def test_the_record_and_packages_show_the_latest_value_and_validate() -> None:
    built = ocds.releases(after_changes(), BUYER)
    package = record_package([record(built)], uri="https://x.example/r", publisher=PUBLISHER)
    assert_valid("record", package)
    assert_valid("release", release_package(built, uri="https://x.example/p", publisher=PUBLISHER))
    (contract,) = package["records"][0]["compiledRelease"]["contracts"]
    assert contract["value"] == {"amount": 450000.0, "currency": "GBP"}
    assert contract["period"]["endDate"] == "2032-02-28T00:00:00Z"
    assert [a["id"] for a in contract["amendments"]] == [
        f"{OCID}-amendment-40",
        f"{OCID}-amendment-41",
    ]
    milestones = [m["id"] for m in contract["implementation"]["milestones"]]
    assert milestones == ["review-1", "kpi-assessment-42", "review-2"]


def test_undo_takes_the_earliest_later_change_for_each_field() -> None:
    latest_first = [EXTENSION, VARIATION]
    assert ocds.undo(*NOW, latest_first) == (425_000_00, date(2030, 2, 28))
    assert ocds.undo(*NOW, [EXTENSION]) == (450_000_00, date(2031, 2, 28))
    assert ocds.undo(*NOW, []) == NOW


def test_the_description_states_the_value_and_end_date_before_and_after() -> None:
    assert ocds.change_description("Twelve more roads.", VARIATION) == (
        "Twelve more roads; value £425,000.00 to £450,000.00; end date 2030-02-28 to 2031-02-28."
    )
    assert ocds.change_description("", replace(EXTENSION, end_after=date(2031, 2, 28))) == (
        "Contract changed."
    )
