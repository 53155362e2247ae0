"""Which Procurement Act notices each route needs, and by when; how a notice moves from draft
to ready to published; and each notice's data as a valid OCDS release in Find a Tender's shape."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from lifecycle.notice_data import UK_DOCUMENT_TYPES, missing, notice_release
from lifecycle.notices import (
    NoticeDue,
    NoticeFacts,
    NoticeStatus,
    NoticeType,
    notices,
    publication_date_problem,
    publish_refusal,
    ready_refusal,
)
from lifecycle.rules import Category, Route, Thresholds, route_for
from lifecycle.settings import Settings
from tests.lifecycle.test_ocds_releases import BUYER, whole_case
from tests.ocds_check import assert_valid

DEFAULTS = Settings()
THRESHOLDS = Thresholds(
    quotes=DEFAULTS.quotes_threshold_pence,
    advertised=DEFAULTS.advertised_threshold_pence,
    goods_services=DEFAULTS.goods_services_threshold_pence,
    works=DEFAULTS.works_threshold_pence,
    light_touch=DEFAULTS.light_touch_threshold_pence,
)
OPENED, APPROVED, ENTERED, START = (
    date(2026, 2, 2),
    date(2026, 4, 1),
    date(2026, 4, 20),
    date(2026, 5, 1),
)
ENDED = date(2027, 3, 31)


def facts(
    pounds: int, category: Category, light_touch: bool = False, **more: object
) -> NoticeFacts:
    """A case of this value and kind, taken to its end."""
    value = pounds * 100
    base = NoticeFacts(
        route=route_for(value, category, light_touch, THRESHOLDS),
        light_touch=light_touch,
        value_pence=value,
        kpi_threshold_pence=DEFAULTS.kpi_threshold_pence,
        procurement_opened_on=OPENED,
        award_approved_on=APPROVED,
        contract_entered_on=ENTERED,
        contract_start=START,
        ended_on=ENDED,
    )
    return replace(base, **more)  # type: ignore[arg-type]


def due(found: list[NoticeDue]) -> dict[str, date | None]:
    """The notices needed, with their dates."""
    return {n.key: n.due_by for n in found if n.required}


def not_needed(found: list[NoticeDue]) -> set[str]:
    """The notices not needed."""
    return {n.key for n in found if not n.required}


ALL = {"UK4", "UK6", "UK7", "UK9", "UK10", "UK11"}


@pytest.mark.parametrize(
    ("pounds", "category", "route"),
    [(3_000, Category.GOODS, Route.LOW_VALUE), (20_000, Category.SERVICES, Route.QUOTES)],
)
def test_under_30000_no_notice_is_due(pounds: int, category: Category, route: Route) -> None:
    found = notices(facts(pounds, category))
    assert facts(pounds, category).route is route
    assert due(found) == {} and not_needed(found) == ALL


def test_below_threshold_advertised_needs_a_tender_notice_and_contract_details() -> None:
    case = facts(100_000, Category.SERVICES)
    assert case.route is Route.BELOW_THRESHOLD
    found = notices(case)
    assert due(found) == {"UK4": OPENED, "UK7": date(2026, 5, 19)}
    assert not_needed(found) == {"UK6", "UK9", "UK10", "UK11"}
    # Works under the works threshold are below threshold too.
    assert facts(1_000_000, Category.WORKS).route is Route.BELOW_THRESHOLD


def test_above_threshold_needs_award_details_and_termination_notices() -> None:
    case = facts(450_000, Category.SERVICES)
    assert case.route is Route.ABOVE_THRESHOLD
    found = notices(case)
    assert due(found) == {
        "UK4": OPENED,
        "UK6": APPROVED,
        "UK7": date(2026, 5, 19),
        "UK11": date(2027, 4, 29),
    }
    assert not_needed(found) == {"UK9", "UK10"}
    before_award = notices(replace(case, award_approved_on=None, contract_entered_on=None))
    assert due(before_award)["UK6"] is None and due(before_award)["UK7"] is None


def test_works_over_5_million_need_contract_performance_notices() -> None:
    case = facts(6_000_000, Category.WORKS)
    assert case.route is Route.ABOVE_THRESHOLD
    assert due(notices(case)) == {
        "UK4": OPENED,
        "UK6": APPROVED,
        "UK7": date(2026, 5, 19),
        # the first assessment within 12 months, then 30 days beginning with its day
        "UK9-1": date(2027, 5, 30),
        "UK11": date(2027, 4, 29),
    }
    assessed = notices(replace(case, assessments=(date(2026, 11, 2), date(2027, 3, 1))))
    assert {k: v for k, v in due(assessed).items() if k.startswith("UK9")} == {
        "UK9-1": date(2026, 12, 1),
        "UK9-2": date(2027, 3, 30),
    }
    # Under the works threshold the same value is not a covered procurement.
    assert facts(5_000_000, Category.WORKS).route is Route.BELOW_THRESHOLD


def test_light_touch_contract_details_are_due_within_120_days() -> None:
    case = facts(700_000, Category.SERVICES, light_touch=True)
    assert case.route is Route.ABOVE_THRESHOLD
    # 120 days beginning with the day it was entered into (20 April)
    assert due(notices(case))["UK7"] == date(2026, 8, 17)
    # Under the light-touch threshold it is below threshold (30 days).
    cheaper = facts(600_000, Category.SERVICES, light_touch=True)
    assert cheaper.route is Route.BELOW_THRESHOLD
    assert due(notices(cheaper)) == {"UK4": OPENED, "UK7": date(2026, 5, 19)}


def test_each_contract_change_needs_a_change_notice_before_it_takes_effect() -> None:
    changes = (date(2026, 9, 1), date(2026, 12, 1))
    found = due(notices(facts(450_000, Category.SERVICES, changes=changes)))
    assert (found["UK10-1"], found["UK10-2"]) == changes


def test_a_notice_is_ready_only_when_complete_and_published_only_when_ready() -> None:
    needed = NoticeDue("UK6", NoticeType.UK6, True, APPROVED, "s.50")
    unneeded = NoticeDue("UK9", NoticeType.UK9, False, None, "s.71")
    assert "does not need" in ready_refusal(unneeded, NoticeStatus.DRAFT, [])
    assert "missing: awards.0.date" in ready_refusal(needed, NoticeStatus.DRAFT, ["awards.0.date"])
    assert ready_refusal(needed, NoticeStatus.DRAFT, []) == ""
    assert "already ready" in ready_refusal(needed, NoticeStatus.READY, [])
    assert "mark the notice ready" in publish_refusal(needed, NoticeStatus.DRAFT)
    assert publish_refusal(needed, NoticeStatus.READY) == ""
    assert "already published" in publish_refusal(needed, NoticeStatus.PUBLISHED)


NOW = datetime(2027, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("key", ["UK4", "UK6", "UK7", "UK9-1", "UK9-2", "UK10-1", "UK11"])
def test_each_notice_is_a_valid_release_in_find_a_tenders_shape(key: str) -> None:
    kind = NoticeType(key.split("-")[0])
    notice = NoticeDue(key, kind, True, None, "")
    rated = "Time: 30h against 24h (inadequate)"
    case = whole_case()
    case = replace(case, reviews=tuple(replace(r, kpis=r.kpis or (rated,)) for r in case.reviews))
    draft = notice_release(notice, case, BUYER, NOW, change=(date(2026, 9, 1), "Adds gritting"))
    assert_valid("single", draft, UK_DOCUMENT_TYPES)
    assert draft["tender"]["legalBasis"]["id"] == "2023/54"
    assert missing(notice, draft) == []
    published = notice_release(notice, case, BUYER, NOW, published=("041267-2026", APPROVED))
    assert_valid("single", published, UK_DOCUMENT_TYPES)
    assert published["id"] == "041267-2026"
    text = str(published)
    assert "'noticeType': '" + kind.value + "'" in text
    assert "https://www.find-tender.service.gov.uk/Notice/041267-2026" in text


def test_what_a_notice_lacks_is_listed_by_field() -> None:
    case = whole_case()
    nameless = replace(BUYER, identifier="")
    bare = replace(
        case,
        bids=tuple(
            replace(b, supplier=replace(b.supplier, registration_number=None)) for b in case.bids
        ),
    )
    uk6 = NoticeDue("UK6", NoticeType.UK6, True, None, "")
    assert missing(uk6, notice_release(uk6, bare, nameless, NOW)) == [
        "buyer.identifier.id",
        "supplier.identifier.id",
    ]
    unassessed = NoticeDue("UK9-3", NoticeType.UK9, True, None, "")
    assert missing(unassessed, notice_release(unassessed, case, BUYER, NOW)) == [
        "contracts.0.implementation.milestones.0.status",
        "contracts.0.implementation.milestones.0.description",
    ]
    uk11 = NoticeDue("UK11", NoticeType.UK11, True, None, "")
    live = replace(case, contract=replace(case.contract, ended_on=None))  # type: ignore[type-var]
    assert missing(uk11, notice_release(uk11, live, BUYER, NOW)) == [
        "contracts.0.implementation.endDate",
        "contracts.0.implementation.finalValue.amountGross",
    ]
    ended = notice_release(uk11, case, BUYER, NOW)["contracts"][0]
    assert ended["status"] == "terminated"
    assert ended["implementation"]["finalValue"] == {
        "amount": 425000.0,
        "currency": "GBP",
        "amountGross": 425000.0,
    }


def test_a_publication_date_is_past_and_the_award_notice_keeps_its_date() -> None:
    today = date(2026, 4, 10)
    assert "future" in publication_date_problem(NoticeType.UK7, date(2026, 4, 11), today, None)
    assert publication_date_problem(NoticeType.UK7, today, today, None) == ""
    # The UK6 is the award notice that started the standstill: the same day, or refused.
    assert publication_date_problem(NoticeType.UK6, APPROVED, today, APPROVED) == ""
    assert "2026-04-01" in publication_date_problem(NoticeType.UK6, today, today, APPROVED)
    assert publication_date_problem(NoticeType.UK4, today, today, APPROVED) == ""
