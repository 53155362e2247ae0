"""Routing by whole-life value (incl. VAT): exact boundaries with the 1 January 2026 thresholds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.rules import (
    Category,
    Route,
    Thresholds,
    needs_contract,
    needs_standstill,
    procurement_threshold,
    route_for,
)
from lifecycle.services.cases import thresholds
from lifecycle.settings import Settings

# Defaults only: a developer's .env must not change what these tests assert.
THRESHOLDS = thresholds(Settings(_env_file=None))

GBP = 100  # pence per pound
ROUTE_ORDER = list(Route)

# (category, light_touch) -> the Procurement Act threshold in pence (DOMAIN.md, 2026 figures).
KINDS = [
    pytest.param(Category.GOODS, False, 207_720 * GBP, id="goods"),
    pytest.param(Category.SERVICES, False, 207_720 * GBP, id="services"),
    pytest.param(Category.SERVICES, True, 663_540 * GBP, id="light-touch-services"),
    pytest.param(Category.WORKS, False, 5_193_000 * GBP, id="works"),
]
ALL_KINDS = [
    (Category.GOODS, False),
    (Category.SERVICES, False),
    (Category.SERVICES, True),
    (Category.WORKS, False),
]


def test_settings_defaults_are_the_2026_figures() -> None:
    actual = THRESHOLDS
    assert actual == Thresholds(
        quotes=5_000 * GBP,
        advertised=30_000 * GBP,
        goods_services=207_720 * GBP,
        works=5_193_000 * GBP,
        light_touch=663_540 * GBP,
    )


@pytest.mark.parametrize(("category", "light_touch", "threshold"), KINDS)
def test_procurement_threshold_per_kind(
    category: Category, light_touch: bool, threshold: int
) -> None:
    assert procurement_threshold(THRESHOLDS, category, light_touch) == threshold


def test_light_touch_flag_does_not_change_goods_or_works_threshold() -> None:
    for category in (Category.GOODS, Category.WORKS):
        assert procurement_threshold(THRESHOLDS, category, True) == procurement_threshold(
            THRESHOLDS, category, False
        )


@pytest.mark.parametrize(("category", "light_touch", "threshold"), KINDS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, Route.LOW_VALUE),
        (1, Route.LOW_VALUE),
        (4_999_99, Route.LOW_VALUE),
        (5_000_00, Route.QUOTES),
        (29_999_99, Route.QUOTES),
        (30_000_00, Route.BELOW_THRESHOLD),
    ],
)
def test_low_value_quotes_and_advertised_boundaries(
    category: Category, light_touch: bool, threshold: int, value: int, expected: Route
) -> None:
    assert route_for(value, category, light_touch, THRESHOLDS) is expected


@pytest.mark.parametrize(("category", "light_touch", "threshold"), KINDS)
def test_threshold_boundary_one_penny(
    category: Category, light_touch: bool, threshold: int
) -> None:
    below = route_for(threshold - 1, category, light_touch, THRESHOLDS)
    at = route_for(threshold, category, light_touch, THRESHOLDS)
    assert below is Route.BELOW_THRESHOLD
    assert at is Route.ABOVE_THRESHOLD
    assert route_for(threshold + 1, category, light_touch, THRESHOLDS) is Route.ABOVE_THRESHOLD


def test_goods_threshold_value_is_below_threshold_for_light_touch_and_works() -> None:
    value = 207_720 * GBP
    assert route_for(value, Category.GOODS, False, THRESHOLDS) is Route.ABOVE_THRESHOLD
    assert route_for(value, Category.SERVICES, True, THRESHOLDS) is Route.BELOW_THRESHOLD
    assert route_for(value, Category.WORKS, False, THRESHOLDS) is Route.BELOW_THRESHOLD


def test_light_touch_on_goods_uses_goods_threshold() -> None:
    assert route_for(207_720 * GBP, Category.GOODS, True, THRESHOLDS) is Route.ABOVE_THRESHOLD


@pytest.mark.parametrize(("category", "light_touch"), ALL_KINDS)
@pytest.mark.parametrize("value", [-1, -5_000_00, -(10**15)])
def test_negative_value_raises(category: Category, light_touch: bool, value: int) -> None:
    with pytest.raises(ValueError):
        route_for(value, category, light_touch, THRESHOLDS)


@pytest.mark.parametrize(
    ("route", "contract_required", "expected"),
    [
        (Route.LOW_VALUE, False, False),
        (Route.LOW_VALUE, True, True),
        (Route.QUOTES, False, True),
        (Route.QUOTES, True, True),
        (Route.BELOW_THRESHOLD, False, True),
        (Route.BELOW_THRESHOLD, True, True),
        (Route.ABOVE_THRESHOLD, False, True),
        (Route.ABOVE_THRESHOLD, True, True),
    ],
)
def test_needs_contract(route: Route, contract_required: bool, expected: bool) -> None:
    assert needs_contract(route, contract_required) is expected


@pytest.mark.parametrize("route", list(Route))
def test_needs_standstill_only_above_threshold(route: Route) -> None:
    assert needs_standstill(route) is (route is Route.ABOVE_THRESHOLD)


@pytest.mark.parametrize(("category", "light_touch"), ALL_KINDS)
def test_contract_needed_from_5000_whatever_was_asked(
    category: Category, light_touch: bool
) -> None:
    under = route_for(4_999_99, category, light_touch, THRESHOLDS)
    at = route_for(5_000_00, category, light_touch, THRESHOLDS)
    assert not needs_contract(under, False)
    assert needs_contract(under, True)
    assert needs_contract(at, False)


kinds = st.sampled_from(ALL_KINDS)
values = st.integers(min_value=0, max_value=10_000_000_000_00)


@settings(max_examples=300)
@given(kind=kinds, a=values, b=values)
def test_route_is_monotonic_in_value(kind: tuple[Category, bool], a: int, b: int) -> None:
    category, light_touch = kind
    low, high = sorted((a, b))
    low_route = route_for(low, category, light_touch, THRESHOLDS)
    high_route = route_for(high, category, light_touch, THRESHOLDS)
    assert ROUTE_ORDER.index(low_route) <= ROUTE_ORDER.index(high_route)


@settings(max_examples=200)
@given(kind=kinds, value=values)
def test_route_matches_the_table(kind: tuple[Category, bool], value: int) -> None:
    category, light_touch = kind
    threshold = procurement_threshold(THRESHOLDS, category, light_touch)
    if value < 5_000_00:
        expected = Route.LOW_VALUE
    elif value < 30_000_00:
        expected = Route.QUOTES
    elif value < threshold:
        expected = Route.BELOW_THRESHOLD
    else:
        expected = Route.ABOVE_THRESHOLD
    route = route_for(value, category, light_touch, THRESHOLDS)
    assert route is expected
    assert needs_standstill(route) is (value >= threshold)
