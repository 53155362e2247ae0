"""OCDS releases and records built from a case's facts: valid against the official 1.1.5
schemas (codelists included) at every stage, merged by the standard's rules, money exact."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle import ocds
from lifecycle.codelists import document_types
from lifecycle.ocds_record import (
    Publisher,
    compile_releases,
    record,
    record_package,
    release_package,
)
from lifecycle.ocds_validation import codelist
from lifecycle.rules import Category, Route, Stage, needs_standstill, stage_path
from tests.ocds_check import SCHEMAS, assert_valid

BUYER = ocds.Buyer("Example Borough Council", "GB-LAE", "EXB")
PUBLISHER = Publisher("Example Borough Council", "GB-LAE", "EXB", "https://example.org/ogl", "p")
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
ACME = ocds.Supplier(
    key=1, name="Acme Highways Ltd", registration_number="01234567", sme=True, vcse=False
)


def at(days: int) -> datetime:
    """A moment `days` after the first."""
    return T0 + timedelta(days=days)


def whole_case() -> ocds.CaseFacts:
    """An above-threshold case from request to termination."""
    rival = ocds.Supplier(
        key=2, name="Roadcare CIC", registration_number="1234567", sme=True, vcse=True
    )
    return ocds.CaseFacts(
        ocid="ocds-procure-PR-2026-0001",
        title="Highways maintenance",
        description="Reactive and planned highways maintenance.",
        category="services",
        route=Route.ABOVE_THRESHOLD,
        estimated_value_pence=450_000_00,
        award_rationale="Best price-quality score",
        awarded_bid_id=1,
        bids=(
            ocds.BidFacts(1, ACME, 420_000_01, at(10)),
            ocds.BidFacts(2, rival, 435_000_00, at(11)),
        ),
        documents=(
            ocds.DocumentFacts(1, "tenderNotice", "Tender notice", "application/pdf", at(3)),
            ocds.DocumentFacts(2, "evaluationReports", "Evaluation", "application/pdf", at(12)),
            ocds.DocumentFacts(3, "contractSigned", "Signed", "application/pdf", at(30)),
            ocds.DocumentFacts(4, "contractSummary", "Summary", "application/pdf", at(40)),
            ocds.DocumentFacts(5, "physicalProgressReport", "Progress", "application/pdf", at(90)),
        ),
        reviews=(
            ocds.ReviewFacts(
                1,
                date(2026, 3, 1),
                date(2026, 3, 31),
                "green",
                ("Time: 20h against 24h (good)",),
                at(95),
            ),
            ocds.ReviewFacts(2, date(2026, 4, 1), date(2026, 4, 30), "red", (), at(125)),
        ),
        contract=ocds.ContractFacts(
            date(2026, 3, 1), date(2030, 2, 28), date(2026, 2, 20), date(2026, 5, 31), "terminated"
        ),
        register=ocds.RegisterFacts(
            supplier=replace(ACME, registration_number="SC765432", name="Acme Highways Limited"),
            start_date=date(2026, 3, 1),
            end_date=date(2030, 2, 28),
            value_pence=425_000_00,
        ),
        events=(
            ocds.Event(1, at(0), ocds.EventKind.PLANNING),
            ocds.Event(5, at(2), ocds.EventKind.TENDER),
            ocds.Event(9, at(14), ocds.EventKind.AWARD),
            ocds.Event(12, at(26), ocds.EventKind.AWARD_IN_FORCE),
            ocds.Event(14, at(35), ocds.EventKind.CONTRACT),
            ocds.Event(20, at(45), ocds.EventKind.REGISTER),
            ocds.Event(25, at(95), ocds.EventKind.REVIEW, ref=1),
            ocds.Event(27, at(125), ocds.EventKind.REVIEW, ref=2),
            ocds.Event(30, at(150), ocds.EventKind.TERMINATION),
        ),
    )


def test_every_release_of_a_whole_case_validates_and_carries_its_tag() -> None:
    built = ocds.releases(whole_case(), BUYER)
    assert [r["tag"] for r in built] == [
        ["planning"],
        ["tender"],
        ["award"],
        ["awardUpdate"],
        ["contract"],
        ["contractUpdate"],
        ["implementation"],
        ["implementation"],
        ["contractTermination"],
    ]
    for number in range(1, len(built) + 1):
        # Each stage's package (the releases so far) and record are valid too.
        so_far = built[:number]
        assert_valid("single", so_far[-1])
        assert_valid(
            "release", release_package(so_far, uri="https://x.example/p", publisher=PUBLISHER)
        )
        assert_valid(
            "record",
            record_package([record(so_far)], uri="https://x.example/r", publisher=PUBLISHER),
        )
    assert len({r["id"] for r in built}) == len(built)


def test_a_release_shows_the_case_as_it_stood_at_its_event() -> None:
    award = ocds.releases(whole_case(), BUYER)[2]
    assert award["awards"][0]["status"] == "pending"  # the standstill is running
    assert award["awards"][0]["value"] == {"amount": 420000.01, "currency": "GBP"}
    assert "documents" not in award["awards"][0]  # the signed contract came later
    assert [d["documentType"] for d in award["tender"]["documents"]] == [
        "tenderNotice",
        "evaluationReports",
    ]
    assert award["tender"]["numberOfTenderers"] == 2
    suppliers = [p for p in award["parties"] if "supplier" in p["roles"]]
    assert suppliers == [
        {
            "id": "ocds-procure-PR-2026-0001-supplier-1",
            "name": "Acme Highways Ltd",
            "roles": ["tenderer", "supplier"],
            "details": {"scale": "sme", "vcse": False},
            "identifier": {"scheme": "GB-COH", "id": "01234567", "legalName": "Acme Highways Ltd"},
        }
    ]
    charity = next(p for p in award["parties"] if p["name"] == "Roadcare CIC")
    assert charity["identifier"]["scheme"] == "GB-CHC"
    buyer = award["parties"][0]
    assert buyer["roles"] == ["buyer", "procuringEntity"] and award["buyer"]["id"] == "GB-LAE-EXB"


def test_the_record_merges_changed_supplier_details_and_value_by_the_merge_rules() -> None:
    built = ocds.releases(whole_case(), BUYER)
    compiled = record(built)["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["date"] == built[-1]["date"]
    # One supplier party, merged on its id: the register's corrected name and number win.
    acme = [p for p in compiled["parties"] if p["id"].endswith("supplier-1")]
    assert len(acme) == 1
    assert acme[0]["name"] == "Acme Highways Limited"
    assert acme[0]["identifier"] == {
        "scheme": "GB-COH",
        "id": "SC765432",
        "legalName": "Acme Highways Limited",
    }
    assert acme[0]["roles"] == ["tenderer", "supplier"]
    # The contract's value: the award's price, then the register's figure; the award keeps its own.
    (contract,) = compiled["contracts"]
    assert contract["value"] == {"amount": 425000.0, "currency": "GBP"}
    assert compiled["awards"][0]["value"]["amount"] == 420000.01
    # What only earlier releases gave survives; the end date is the termination's.
    assert contract["dateSigned"] == "2026-02-20T00:00:00Z"
    assert contract["status"] == "terminated"
    assert contract["period"] == {
        "startDate": "2026-03-01T00:00:00Z",
        "endDate": "2026-05-31T00:00:00Z",
    }
    # Milestones from two implementation releases merge by id into both reviews.
    statuses = [(m["id"], m["status"]) for m in contract["implementation"]["milestones"]]
    assert statuses == [("review-1", "met"), ("review-2", "notMet")]
    assert compiled["tender"]["status"] == "complete"
    assert compiled["awards"][0]["status"] == "active"


def test_merge_rules_on_their_own() -> None:
    first = {
        "ocid": "o",
        "id": "1",
        "date": "2026-01-01T00:00:00Z",
        "tag": ["tender"],
        "parties": [{"id": "a", "name": "A", "additionalIdentifiers": [{"id": "x"}, {"id": "y"}]}],
        "tender": {"title": "T", "description": "D", "items": [{"id": "i", "quantity": 1}]},
    }
    second = {
        "ocid": "o",
        "id": "2",
        "date": "2026-02-01T00:00:00Z",
        "tag": ["tenderUpdate"],
        "parties": [{"id": "a", "additionalIdentifiers": [{"id": "z"}]}, {"id": "b", "name": "B"}],
        "tender": {"description": None, "items": [{"id": "i", "unit": {"name": "each"}}]},
    }
    compiled = compile_releases([second, first])  # date order, whatever the order given
    assert compiled["parties"] == [
        {"id": "a", "name": "A", "additionalIdentifiers": [{"id": "z"}]},  # wholeListMerge
        {"id": "b", "name": "B"},
    ]
    assert compiled["tender"] == {
        "title": "T",
        "items": [{"id": "i", "quantity": 1, "unit": {"name": "each"}}],
    }
    assert compiled["id"] == "o-2026-02-01T00:00:00Z" and compiled["tag"] == ["compiled"]
    with pytest.raises(ValueError):
        compile_releases([])


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_pence_become_pounds_exactly(pence: int) -> None:
    assert Decimal(repr(ocds.pounds(pence))) == Decimal(pence) / 100


def test_codelists_match_the_standard() -> None:
    # The schema's closed enums agree with the CSVs (the validator refuses to build otherwise),
    # and the product's own documentType list is the standard's.
    assert_valid("single", ocds.releases(whole_case(), BUYER)[0])
    assert document_types() == frozenset(codelist(SCHEMAS, "documentType.csv"))
    assert set(ocds.METHOD.values()) <= set(codelist(SCHEMAS, "method.csv"))
    assert set(ocds.RAG_STATUS.values()) <= set(codelist(SCHEMAS, "milestoneStatus.csv"))
    tags = {ocds.TAGS.get(k, k.value) for k in ocds.EventKind}
    assert tags <= set(codelist(SCHEMAS, "releaseTag.csv"))


TIMES = st.integers(min_value=0, max_value=400).map(at)


@st.composite
def lifecycles(draw: st.DrawFn) -> ocds.CaseFacts:
    """A case of any route and category taken as far along its stage path as the rules allow,
    with any bids, documents, reviews, KPI assessments and changes to the contract."""
    category = draw(st.sampled_from(list(Category)))
    route = draw(st.sampled_from(list(Route)))
    contract = draw(st.booleans()) or route is not Route.LOW_VALUE
    path = stage_path(contract)
    reached = path[: draw(st.integers(min_value=1, max_value=len(path)))]
    suppliers = draw(
        st.lists(
            st.builds(
                ocds.Supplier,
                key=st.just(0),
                name=st.text(min_size=1, max_size=30),
                registration_number=st.one_of(
                    st.none(), st.from_regex(r"[A-Z0-9]{6,8}", fullmatch=True)
                ),
                sme=st.booleans(),
                vcse=st.booleans(),
            ),
            max_size=4,
        )
    )
    bids = tuple(
        ocds.BidFacts(n, replace(s, key=n), draw(st.integers(0, 10**13)), draw(TIMES))
        for n, s in enumerate(suppliers, start=1)
    )
    documents = tuple(
        ocds.DocumentFacts(
            n, kind, draw(st.text(min_size=1, max_size=20)), "application/pdf", draw(TIMES)
        )
        for n, kind in enumerate(
            draw(st.lists(st.sampled_from(sorted(document_types())), max_size=6)), 1
        )
    )
    reviews = tuple(
        ocds.ReviewFacts(n, date(2026, 1, 1), date(2026, 2, 1), rag, (), draw(TIMES))
        for n, rag in enumerate(
            draw(st.lists(st.sampled_from(["green", "amber", "red"]), max_size=3)), 1
        )
    )
    kinds = [ocds.EventKind.PLANNING]
    standstill = needs_standstill(route)
    if Stage.PROCUREMENT in reached:
        kinds.append(ocds.EventKind.TENDER)
        if standstill and (draw(st.booleans()) or Stage.SIGNING in reached):
            kinds.append(ocds.EventKind.AWARD)
    if Stage.SIGNING in reached:
        kinds.append(ocds.EventKind.AWARD_IN_FORCE)
    if Stage.REGISTER_ENTRY in reached:
        kinds.append(ocds.EventKind.CONTRACT)
    if Stage.MONITORING in reached:
        kinds.append(ocds.EventKind.REGISTER)
    events = [
        ocds.Event(n, draw(TIMES), kind) for n, kind in enumerate(dict.fromkeys(kinds), start=1)
    ]
    if Stage.MONITORING in reached:
        events += [
            ocds.Event(100 + r.id, r.submitted_at, ocds.EventKind.REVIEW, ref=r.id) for r in reviews
        ]
    start = draw(st.dates(date(2020, 1, 1), date(2030, 1, 1)))
    changes: list[ocds.ChangeFacts] = []
    assessments: list[ocds.AssessmentFacts] = []
    if Stage.MONITORING in reached:
        # Changes to the live contract (a variation changes the value, an extension only the
        # end date) and KPI assessments, each its own release.
        for n in range(draw(st.integers(0, 3))):
            varied = draw(st.booleans())
            before, after = draw(st.integers(0, 10**13)), draw(st.integers(0, 10**13))
            ends = sorted(draw(st.lists(st.dates(start, date(2035, 1, 1)), min_size=2, max_size=2)))
            changes.append(
                ocds.ChangeFacts(
                    300 + n,
                    draw(TIMES),
                    n + 1 if varied else None,
                    draw(st.text(max_size=30)),
                    draw(st.text(max_size=30)),
                    before if varied else None,
                    after if varied else None,
                    ends[0],
                    ends[1],
                )
            )
        ratings = st.sampled_from(
            ["good", "approaching_target", "requires_improvement", "inadequate"]
        )
        for n in range(draw(st.integers(0, 2))):
            rated = tuple(draw(st.lists(ratings, min_size=1, max_size=3)))
            assessments.append(
                ocds.AssessmentFacts(400 + n, date(2026, 3, 31), rated, rated, draw(TIMES))
            )
        events += [ocds.Event(c.id, c.at, ocds.EventKind.AMENDMENT, ref=c.id) for c in changes]
        events += [ocds.Event(a.id, a.at, ocds.EventKind.ASSESSMENT, ref=a.id) for a in assessments]
    if Stage.EXIT in reached:
        events.append(ocds.Event(200, draw(TIMES), ocds.EventKind.TERMINATION))
    ended = draw(st.one_of(st.none(), st.dates(start, date(2031, 1, 1))))
    return ocds.CaseFacts(
        ocid=f"ocds-procure-PR-2026-{draw(st.integers(1, 9999)):04d}",
        title=draw(st.text(min_size=1, max_size=40)),
        description=draw(st.text(max_size=60)),
        category=category.value,
        route=route,
        estimated_value_pence=draw(st.integers(0, 10**13)),
        award_rationale=draw(st.one_of(st.none(), st.text(max_size=30))),
        awarded_bid_id=draw(st.sampled_from([b.id for b in bids]))
        if bids and {ocds.EventKind.AWARD, ocds.EventKind.AWARD_IN_FORCE} & set(kinds)
        else None,
        bids=bids,
        documents=documents,
        reviews=reviews,
        contract=ocds.ContractFacts(
            start,
            start + timedelta(days=365),
            draw(st.one_of(st.none(), st.just(start))),
            ended,
            "expired",
        )
        if Stage.REGISTER_ENTRY in reached
        else None,
        register=ocds.RegisterFacts(
            suppliers[0] if suppliers else None, start, None, draw(st.integers(0, 10**13))
        )
        if Stage.MONITORING in reached
        else None,
        events=tuple(events),
        assessments=tuple(assessments),
        changes=tuple(changes),
    )


@settings(max_examples=60, deadline=None)
@given(lifecycles())
def test_every_release_record_and_package_of_any_lifecycle_validates(case: ocds.CaseFacts) -> None:
    built = ocds.releases(case, BUYER)
    for item in built:
        assert_valid("single", item)
    assert_valid("release", release_package(built, uri="https://x.example/p", publisher=PUBLISHER))
    assert_valid(
        "record", record_package([record(built)], uri="https://x.example/r", publisher=PUBLISHER)
    )


def test_the_check_fails_on_a_code_outside_its_codelist_or_a_missing_field() -> None:
    good = ocds.releases(whole_case(), BUYER)[4]
    bad_type = {
        **good,
        "contracts": [
            {**good["contracts"][0], "documents": [{"id": "d", "documentType": "madeUp"}]}
        ],
    }
    bad_role = {**good, "parties": [{**good["parties"][0], "roles": ["boss"]}]}
    no_tag = {k: v for k, v in good.items() if k != "tag"}
    for document in (bad_type, bad_role, no_tag):
        with pytest.raises(AssertionError):
            assert_valid("single", document)
