"""The SVG charts: points where their values say, gaps for months with nothing to measure, an
empty chart that says so, text escaped, and markup that parses as an accessible image."""

import xml.etree.ElementTree as ElementTree

import pytest

from api.pages.charts import (
    BAR_WIDTH,
    HEIGHT,
    LEFT,
    PLOT_HEIGHT,
    PLOT_WIDTH,
    TOP,
    ChartPoint,
    axis_floor,
    share_bar,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    """The chart as XML (it must parse: it is inline SVG)."""
    return ElementTree.fromstring(str(markup))


def chart(points: list[ChartPoint], **kwargs: str) -> ElementTree.Element:
    """A trend chart with the given points."""
    options = {"chart_id": "c", "title": "Legal first", "description": "From 50% to 100%"}
    return parse(trend_chart(points, target=1.0, **(options | kwargs)))


def test_points_sit_where_their_values_say() -> None:
    svg = chart(
        [ChartPoint("Jan", 0.5), ChartPoint("Feb", 1.0), ChartPoint("Mar", 0.75, provisional=True)]
    )
    circles = svg.findall(f"{SVG}circle")
    placed = [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in circles]
    # The axis starts at 50%, the tenth at or below the lowest value.
    assert placed == [
        (LEFT, TOP + PLOT_HEIGHT),
        (LEFT + PLOT_WIDTH / 2, TOP),
        (LEFT + PLOT_WIDTH, TOP + PLOT_HEIGHT / 2),
    ]
    assert "app-chart__point--provisional" in (circles[2].get("class") or "")
    assert "provisional" not in (circles[0].get("class") or "")
    [line] = svg.findall(f"{SVG}polyline")
    joined = [
        tuple(float(n) for n in pair.split(",")) for pair in (line.get("points") or "").split()
    ]
    assert joined == placed
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert labels[:3] == ["50%", "75%", "100%"] and labels[-2:] == ["Jan", "Mar"]


def test_the_axis_floor_follows_the_lowest_value() -> None:
    assert axis_floor([0.949, None, 0.97]) == pytest.approx(0.9)
    assert axis_floor([0.584]) == pytest.approx(0.5)
    assert axis_floor([1.0, 1.0]) == pytest.approx(0.9)  # a flat line at the top still has room
    assert axis_floor([0.0]) == 0.0
    assert axis_floor([None]) == 0.0


def test_a_month_with_nothing_to_measure_breaks_the_line() -> None:
    svg = chart([ChartPoint("Jan", 0.0), ChartPoint("Feb", None), ChartPoint("Mar", 1.0)])
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert len(svg.findall(f"{SVG}circle")) == 2


def test_an_empty_history_draws_axes_and_says_so() -> None:
    for points in ([], [ChartPoint("Mar", None)]):
        svg = chart(points)
        assert svg.findall(f"{SVG}polyline") == [] and svg.findall(f"{SVG}circle") == []
        assert "No figures yet" in [t.text for t in svg.findall(f"{SVG}text")]


def test_a_single_point_sits_in_the_middle() -> None:
    [circle] = chart([ChartPoint("Mar", 1.0)]).findall(f"{SVG}circle")
    assert float(circle.get("cx", "")) == LEFT + PLOT_WIDTH / 2


def test_it_is_an_image_with_a_title_and_description_and_text_is_escaped() -> None:
    markup = str(
        trend_chart(
            [ChartPoint("<b>Jan</b>", 0.5)],
            chart_id='x" onload="alert(1)',
            title="Fish & <chips>",
            description='Say "hi"',
            target=1.0,
        )
    )
    assert "<b>" not in markup and "<chips>" not in markup and 'onload="' not in markup
    svg = parse(markup)
    assert svg.get("role") == "img"
    title, description = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Fish & <chips>"
    assert description is not None and description.text == 'Say "hi"'
    assert svg.get("aria-labelledby") == f"{title.get('id')} {description.get('id')}"
    assert HEIGHT > TOP + PLOT_HEIGHT  # room for the month labels


def test_the_bar_fills_to_the_share_and_marks_the_target() -> None:
    svg = parse(share_bar(0.25, chart_id="b", title="25% met", target=1.0))
    fill = [r for r in svg.findall(f"{SVG}rect") if r.get("class") == "app-bar__fill"][0]
    assert float(fill.get("width", "")) == BAR_WIDTH / 4
    target = svg.find(f"{SVG}line")
    assert target is not None and 0 < float(target.get("x1", "")) <= BAR_WIDTH
    empty = parse(share_bar(None, chart_id="b", title="no cases", target=1.0))
    assert [r.get("width") for r in empty.findall(f"{SVG}rect")][1] == "0"
