"""Input models reject what a person must not send, and say which field is wrong."""

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from lifecycle.rules import Category, Decision
from lifecycle.schemas import (
    MAX_PENCE,
    ContractIn,
    GateDecisionIn,
    PurchaseRequestIn,
    ReviewIn,
)

HUNDRED_BN_GBP = 100_000_000_000 * 100


def request(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Office chairs",
        "description": "Forty ergonomic chairs for the civic centre",
        "category": "goods",
        "department": "Facilities",
        "estimated_value_pence": 12_000_00,
        "irrecoverable_vat_pence": 0,
        "needed_by": "2026-06-30",
        "contract_required": False,
    }
    data.update(overrides)
    return data


def errors_of(model: type[BaseModel], data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [dict(error) for error in caught.value.errors()]


def field_locs(model: type[BaseModel], data: dict[str, Any]) -> set[tuple[int | str, ...]]:
    return {tuple(error["loc"]) for error in errors_of(model, data)}


def names_field(model: type[BaseModel], data: dict[str, Any], field: str) -> bool:
    """The error points at `field`: in its loc, or (for a cross-field check) in its message."""
    return any(field in error["loc"] or field in error["msg"] for error in errors_of(model, data))


# --- PurchaseRequestIn --------------------------------------------------------------------------


def test_valid_request_is_accepted() -> None:
    parsed = PurchaseRequestIn.model_validate(request())
    assert parsed.category is Category.GOODS
    assert parsed.estimated_value_pence == 12_000_00
    assert parsed.needed_by == date(2026, 6, 30)


def test_light_touch_services_accepted() -> None:
    parsed = PurchaseRequestIn.model_validate(request(category="services", light_touch=True))
    assert parsed.light_touch


@pytest.mark.parametrize("unknown", ["estimated_value", "value_pence", "vat", "sme"])
def test_request_rejects_unknown_fields(unknown: str) -> None:
    assert field_locs(PurchaseRequestIn, request(**{unknown: 1})) == {(unknown,)}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(-5_000_00, id="negative-5000"),
        pytest.param(5000.0, id="float"),
        pytest.param(49.99, id="float-pounds"),
        pytest.param("500000", id="string"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="none"),
        pytest.param(HUNDRED_BN_GBP + 1, id="over-100bn"),
        pytest.param(10**20, id="absurd"),
    ],
)
def test_request_rejects_bad_values(value: Any) -> None:
    locs = field_locs(PurchaseRequestIn, request(estimated_value_pence=value))
    assert locs == {("estimated_value_pence",)}


def test_request_accepts_exactly_100bn_and_one_penny() -> None:
    assert MAX_PENCE == HUNDRED_BN_GBP
    for value in (1, HUNDRED_BN_GBP):
        assert PurchaseRequestIn.model_validate(request(estimated_value_pence=value))


def test_float_value_rejected_from_json_too() -> None:
    body = json.dumps(request(estimated_value_pence=5000.0))
    with pytest.raises(ValidationError) as caught:
        PurchaseRequestIn.model_validate_json(body)
    assert {tuple(e["loc"]) for e in caught.value.errors()} == {("estimated_value_pence",)}


@pytest.mark.parametrize("vat", [-1, 1.5, HUNDRED_BN_GBP + 1])
def test_request_rejects_bad_vat(vat: Any) -> None:
    assert field_locs(PurchaseRequestIn, request(irrecoverable_vat_pence=vat)) == {
        ("irrecoverable_vat_pence",)
    }


def test_request_rejects_vat_above_value() -> None:
    data = request(estimated_value_pence=10_000_00, irrecoverable_vat_pence=10_000_01)
    assert names_field(PurchaseRequestIn, data, "irrecoverable_vat_pence")


def test_request_accepts_vat_equal_to_value() -> None:
    data = request(estimated_value_pence=10_000_00, irrecoverable_vat_pence=10_000_00)
    assert PurchaseRequestIn.model_validate(data).irrecoverable_vat_pence == 10_000_00


@pytest.mark.parametrize("category", ["goods", "works"])
def test_request_rejects_light_touch_outside_services(category: str) -> None:
    assert names_field(
        PurchaseRequestIn, request(category=category, light_touch=True), "light_touch"
    )


@pytest.mark.parametrize("title", ["", "   ", "\t\n"])
def test_request_rejects_empty_title(title: str) -> None:
    assert field_locs(PurchaseRequestIn, request(title=title)) == {("title",)}


def test_request_rejects_overlong_title() -> None:
    assert field_locs(PurchaseRequestIn, request(title="x" * 201)) == {("title",)}


@pytest.mark.parametrize("field", ["description", "department"])
def test_request_rejects_empty_text(field: str) -> None:
    assert field_locs(PurchaseRequestIn, request(**{field: " "})) == {(field,)}


def test_request_rejects_unknown_category() -> None:
    assert field_locs(PurchaseRequestIn, request(category="consultancy")) == {("category",)}


@pytest.mark.parametrize(
    "field", ["title", "description", "category", "department", "estimated_value_pence"]
)
def test_request_requires_field(field: str) -> None:
    data = request()
    del data[field]
    assert field_locs(PurchaseRequestIn, data) == {(field,)}


@settings(max_examples=150)
@given(
    value=st.integers(min_value=1, max_value=HUNDRED_BN_GBP),
    vat_share=st.floats(min_value=0, max_value=1),
)
def test_request_accepts_any_whole_pence_value_with_vat_inside_it(
    value: int, vat_share: float
) -> None:
    vat = int(value * vat_share)
    parsed = PurchaseRequestIn.model_validate(
        request(estimated_value_pence=value, irrecoverable_vat_pence=vat)
    )
    assert parsed.estimated_value_pence == value
    assert parsed.irrecoverable_vat_pence == vat


@settings(max_examples=150)
@given(value=st.integers(max_value=0) | st.integers(min_value=HUNDRED_BN_GBP + 1))
def test_request_rejects_any_value_out_of_range(value: int) -> None:
    assert field_locs(PurchaseRequestIn, request(estimated_value_pence=value)) == {
        ("estimated_value_pence",)
    }


# --- ContractIn -----------------------------------------------------------------------------


def contract(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "start_date": "2026-05-01",
        "end_date": "2028-04-30",
        "supplier_signed_on": "2026-04-20",
        "council_signed_on": "2026-04-22",
    }
    data.update(overrides)
    return data


def test_valid_contract_is_accepted() -> None:
    assert ContractIn.model_validate(contract()).end_date == date(2028, 4, 30)


@pytest.mark.parametrize("end", ["2026-04-30", "2026-05-01"], ids=["before", "same-day"])
def test_contract_rejects_end_not_after_start(end: str) -> None:
    assert names_field(ContractIn, contract(end_date=end), "end_date")


def test_contract_rejects_unknown_field() -> None:
    assert field_locs(ContractIn, contract(signed_on="2026-04-22")) == {("signed_on",)}


def test_contract_rejects_bad_date() -> None:
    assert field_locs(ContractIn, contract(start_date="2026-02-30")) == {("start_date",)}


# --- GateDecisionIn -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "ok", "  "])
def test_approve_needs_no_reason(reason: str) -> None:
    parsed = GateDecisionIn.model_validate({"decision": "approve", "reason": reason})
    assert parsed.decision is Decision.APPROVE


def test_approve_without_reason_field() -> None:
    assert GateDecisionIn.model_validate({"decision": "approve"}).reason == ""


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_other_decisions_need_a_reason(decision: str, reason: str | None) -> None:
    data: dict[str, Any] = {"decision": decision}
    if reason is not None:
        data["reason"] = reason
    assert names_field(GateDecisionIn, data, "reason")


@pytest.mark.parametrize("decision", ["request_changes", "reject"])
def test_other_decisions_with_a_reason_are_accepted(decision: str) -> None:
    parsed = GateDecisionIn.model_validate({"decision": decision, "reason": "value too high"})
    assert parsed.reason == "value too high"


def test_unknown_decision_rejected() -> None:
    assert field_locs(GateDecisionIn, {"decision": "maybe", "reason": "x"}) == {("decision",)}


def test_gate_decision_rejects_unknown_field() -> None:
    locs = field_locs(GateDecisionIn, {"decision": "approve", "key": True})
    assert locs == {("key",)}


# --- ReviewIn -------------------------------------------------------------------------------


def review(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "period_start": "2026-04-01",
        "period_end": "2026-06-30",
        "rag": "green",
        "kpis": [{"name": "On-time delivery", "target": "95%", "result": "97%", "rating": "good"}],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "rating", ["good", "approaching_target", "requires_improvement", "inadequate"]
)
def test_review_accepts_the_procurement_act_ratings(rating: str) -> None:
    data = review()
    data["kpis"][0]["rating"] = rating
    assert ReviewIn.model_validate(data).kpis[0].rating == rating


def test_review_accepts_single_day_period() -> None:
    assert ReviewIn.model_validate(review(period_end="2026-04-01"))


def test_review_rejects_period_end_before_start() -> None:
    assert names_field(ReviewIn, review(period_end="2026-03-31"), "period_end")


@pytest.mark.parametrize("rating", ["excellent", "Good", "amber", "", "requires improvement"])
def test_review_rejects_unknown_kpi_rating(rating: str) -> None:
    data = review()
    data["kpis"][0]["rating"] = rating
    assert field_locs(ReviewIn, data) == {("kpis", 0, "rating")}


@pytest.mark.parametrize("rag", ["blue", "GREEN", "", "red "])
def test_review_rejects_unknown_rag(rag: str) -> None:
    assert field_locs(ReviewIn, review(rag=rag)) == {("rag",)}


def test_review_rejects_unknown_kpi_field() -> None:
    data = review()
    data["kpis"][0]["weight"] = 3
    assert field_locs(ReviewIn, data) == {("kpis", 0, "weight")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Laptops\r\nBcc: everyone@council.example"),
        ("title", "Laptops\x00"),
        ("department", "I\u0085T"),
        ("description", "Two hundred laptops\x00"),
        ("description", "Two hundred\x1blaptops"),
    ],
)
def test_control_characters_are_refused_naming_the_field(field: str, value: str) -> None:
    """One-line fields take no control characters; longer text keeps only tabs and line
    breaks. The error names the field and does not repeat the input."""
    [error] = errors_of(PurchaseRequestIn, request(**{field: value}))
    assert error["loc"] == (field,) and error["type"] == "string_pattern_mismatch"
    assert value not in error["msg"]


def test_line_breaks_and_tabs_stay_in_longer_text() -> None:
    """A description may have paragraphs."""
    body = request(description="First paragraph.\r\n\r\nSecond,\twith a tab.")
    assert "\tw" in PurchaseRequestIn.model_validate(body).description
