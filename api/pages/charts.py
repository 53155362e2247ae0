"""Small charts drawn on the server as SVG: no chart library, no script, nothing from a CDN.

Pure: values in, markup out. Every chart is an image with a title and a description for
screen readers; the page gives the same numbers in a table as well. Colours and sizes come from
classes (the Content-Security-Policy forbids inline styles)."""

from collections.abc import Sequence
from dataclasses import dataclass
from math import floor

from markupsafe import Markup, escape

# The trend chart's drawing area, in SVG units (it scales to its container).
WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 12, 34
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_WIDTH, BAR_HEIGHT = 300, 24


@dataclass(frozen=True)
class ChartPoint:
    """One value of a series: a label for its place on the x axis, and a share from 0 to 1
    (None: nothing to measure then, drawn as a gap)."""

    label: str
    value: float | None
    provisional: bool = False  # drawn hollow: the figure may still change


def _number(value: float) -> str:
    """A coordinate, short and stable (no float noise in the markup)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def x_of(index: int, count: int) -> float:
    """Where the index-th of `count` points sits across the plot (a lone point: the middle)."""
    if count <= 1:
        return LEFT + PLOT_WIDTH / 2
    return LEFT + index * PLOT_WIDTH / (count - 1)


def axis_floor(values: Sequence[float | None]) -> float:
    """The share at the bottom of the y axis: the tenth at or below the lowest value, so a
    measure that moves between 91% and 95% does not look flat (0% when nothing is known)."""
    known = [min(max(value, 0.0), 1.0) for value in values if value is not None]
    if not known:
        return 0.0
    return min(floor(min(known) * 10) / 10, 0.9)


def y_of(value: float, bottom: float = 0.0) -> float:
    """Where a share sits up the plot: 100% at the top, `bottom` at the bottom."""
    clamped = min(max(value, bottom), 1.0)
    return TOP + (1 - clamped) / (1 - bottom) * PLOT_HEIGHT


def _runs(points: Sequence[ChartPoint], bottom: float) -> list[list[tuple[float, float]]]:
    """The points as unbroken runs of coordinates; a month with no value breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            runs.append([])
            continue
        runs[-1].append((x_of(index, len(points)), y_of(point.value, bottom)))
    return [run for run in runs if run]


def _percent(share: float) -> str:
    """An axis label: 0.5 -> '50%', 0.95 -> '95%'."""
    return f"{round(share * 100)}%"


def _labelled(chart_id: str, title: str, description: str) -> tuple[str, str]:
    """The opening of an accessible SVG image and its title and description."""
    ident = escape(chart_id)
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" focusable="false" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
    )
    labels = (
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
    )
    return opening, labels


def trend_chart(
    points: Sequence[ChartPoint], *, chart_id: str, title: str, description: str, target: float
) -> Markup:
    """A line chart of shares over time, with the target as a dashed line. The y axis runs
    from `axis_floor` of the values to 100%, labelled at both ends and half way."""
    opening, labels = _labelled(chart_id, title, description)
    bottom = axis_floor([point.value for point in points])
    parts = [
        f'{opening}class="app-chart" viewBox="0 0 {WIDTH} {HEIGHT}">',
        labels,
    ]
    for share in (bottom, (bottom + 1) / 2, 1.0):
        y = _number(y_of(share, bottom))
        parts.append(
            f'<line class="app-chart__grid" x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>'
            f'<text class="app-chart__axis" x="{LEFT - 6}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle">{_percent(share)}</text>'
        )
    target_y = _number(y_of(target, bottom))
    parts.append(
        f'<line class="app-chart__target" x1="{LEFT}" y1="{target_y}" '
        f'x2="{WIDTH - RIGHT}" y2="{target_y}"/>'
    )
    if not any(point.value is not None for point in points):
        parts.append(
            f'<text class="app-chart__empty" x="{_number(LEFT + PLOT_WIDTH / 2)}" '
            f'y="{_number(TOP + PLOT_HEIGHT / 2)}" text-anchor="middle">No figures yet</text>'
        )
    for run in _runs(points, bottom):
        coordinates = " ".join(f"{_number(x)},{_number(y)}" for x, y in run)
        parts.append(f'<polyline class="app-chart__line" points="{coordinates}"/>')
    for index, point in enumerate(points):
        if point.value is None:
            continue
        kind = " app-chart__point--provisional" if point.provisional else ""
        parts.append(
            f'<circle class="app-chart__point{kind}" cx="{_number(x_of(index, len(points)))}" '
            f'cy="{_number(y_of(point.value, bottom))}" r="3.5"/>'
        )
    parts.extend(_x_labels(points))
    parts.append("</svg>")
    return Markup("".join(parts))


def _x_labels(points: Sequence[ChartPoint]) -> list[str]:
    """The first and last labels under the axis (more would crowd a small chart; the table
    beside it names every month)."""
    if not points:
        return []
    baseline = _number(HEIGHT - BOTTOM + 18)
    if len(points) == 1:
        return [
            f'<text class="app-chart__axis" x="{_number(x_of(0, 1))}" y="{baseline}" '
            f'text-anchor="middle">{escape(points[0].label)}</text>'
        ]
    first, last = points[0], points[-1]
    return [
        f'<text class="app-chart__axis" x="{LEFT}" y="{baseline}" text-anchor="start">'
        f"{escape(first.label)}</text>",
        f'<text class="app-chart__axis" x="{WIDTH - RIGHT}" y="{baseline}" text-anchor="end">'
        f"{escape(last.label)}</text>",
    ]


def share_bar(share: float | None, *, chart_id: str, title: str, target: float) -> Markup:
    """A horizontal bar filled to `share`, with a mark at the target."""
    opening, labels = _labelled(chart_id, title, f"Target {round(target * 100)}%")
    filled = 0.0 if share is None else min(max(share, 0.0), 1.0) * BAR_WIDTH
    # Kept inside the box: a mark at 100% would otherwise be half cut off.
    target_x = _number(min(max(target * BAR_WIDTH, 1.5), BAR_WIDTH - 1.5))
    return Markup(
        f'{opening}class="app-bar" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}">{labels}'
        f'<rect class="app-bar__track" x="0" y="4" width="{BAR_WIDTH}" height="{BAR_HEIGHT - 8}"/>'
        f'<rect class="app-bar__fill" x="0" y="4" width="{_number(filled)}" '
        f'height="{BAR_HEIGHT - 8}"/>'
        f'<line class="app-bar__target" x1="{target_x}" y1="0" x2="{target_x}" '
        f'y2="{BAR_HEIGHT}"/></svg>'
    )
