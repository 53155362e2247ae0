"""Internal audit's page: how far each of the audit's fixes holds, how it moved month by month,
and the cases that fall short. The service decides who may see it."""

from dataclasses import dataclass
from datetime import date
from math import ceil, floor
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from api.pages.charts import ChartPoint, share_bar, trend_chart
from api.pages.paging import pagination
from api.pages.web import SignedInPage
from lifecycle.assurance import Measure, Point, Shortfall
from lifecycle.errors import NotFound
from lifecycle.services import assurance

router = APIRouter(prefix="/app", include_in_schema=False)

SHORTFALLS_SHOWN = 10  # on the overview; the rest are a page each
SHORTFALLS_PER_PAGE = 50


def percent(met: int, of: int) -> str:
    """'94.9%': rounded down, so a measure short of its target never reads as 100%."""
    if not of:
        return "no cases yet"
    tenths = floor(met * 1000 / of)
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def month_name(month: str, *, short: bool = False) -> str:
    """'2026-03' as 'March 2026' (or 'Mar 2026')."""
    year, number = (int(part) for part in month.split("-"))
    return f"{date(year, number, 1):{'%b' if short else '%B'} %Y}"


def sentence(text: str) -> str:
    """A measure's name as a heading: capital first letter."""
    return text[:1].upper() + text[1:]


def _description(name: str, points: list[Point], target: float) -> str:
    """What the trend chart shows, in words, for people who cannot see it."""
    measured = [point for point in points if point.of]
    if not measured:
        return f"{sentence(name)}: no figures yet. Target {round(target * 100)}%."
    first, last = measured[0], measured[-1]
    so_far = " so far" if last.live else ""
    if first is last:
        change = f"{percent(last.met, last.of)} in {month_name(last.month)}{so_far}"
    else:
        change = (
            f"from {percent(first.met, first.of)} in {month_name(first.month)} to "
            f"{percent(last.met, last.of)} in {month_name(last.month)}{so_far}"
        )
    return f"{sentence(name)}, month by month: {change}. Target {round(target * 100)}%."


@dataclass(frozen=True)
class MeasureView:
    """One measure as the page shows it."""

    measure: Measure
    title: str
    share_text: str
    bar: Markup
    chart: Markup
    points: list[Point]

    @property
    def shortfalls_shown(self) -> tuple[Shortfall, ...]:
        """The first few cases that fall short."""
        return self.measure.short[:SHORTFALLS_SHOWN]


def _view(measure: Measure, points: list[Point]) -> MeasureView:
    """The words, bar and chart for one measure."""
    title = sentence(measure.name)
    share_text = percent(measure.met, measure.of)
    target = measure.target
    return MeasureView(
        measure=measure,
        title=title,
        share_text=share_text,
        bar=share_bar(
            measure.share,
            chart_id=f"bar-{measure.key}",
            title=f"{share_text} met, against a target of {round(target * 100)}%",
            target=target,
        ),
        chart=trend_chart(
            [
                ChartPoint(month_name(p.month, short=True), p.share, provisional=p.live)
                for p in points
            ],
            chart_id=f"trend-{measure.key}",
            title=f"{title}: month by month",
            description=_description(measure.name, points, target),
            target=target,
        ),
        points=points,
    )


@router.get("/assurance", response_class=HTMLResponse)
def assurance_page(page: SignedInPage) -> Response:
    """Every measure: the share met against its target, its trend, and what falls short."""
    found = assurance.overview(page.db, by=page.me, settings=page.settings)
    views = [_view(measure, found.trends[measure.key]) for measure in found.measures]
    return page.render(
        "pages/assurance.html",
        title="Assurance",
        section="assurance",
        views=views,
        month=month_name(found.month),
        percent=percent,
        month_name=month_name,
    )


def _shortfalls_link(key: str, number: int) -> str:
    """One page of a measure's shortfalls."""
    return f"/app/assurance/{key}" + (f"?page={number}" if number > 1 else "")


@router.get("/assurance/{key}", response_class=HTMLResponse)
def shortfalls_page(
    key: str,
    page: SignedInPage,
    number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """Every case that falls short of one measure, a page at a time."""
    measures = assurance.report(page.db, by=page.me, settings=page.settings)
    measure = next((each for each in measures if each.key == key), None)
    if measure is None:
        raise NotFound("There is no such assurance measure.")
    last = max(1, ceil(len(measure.short) / SHORTFALLS_PER_PAGE))
    number = min(number, last)
    start = (number - 1) * SHORTFALLS_PER_PAGE
    return page.render(
        "pages/assurance_shortfalls.html",
        title=f"{sentence(measure.name)}: cases that fall short",
        section="assurance",
        measure=measure,
        heading=sentence(measure.name),
        share_text=percent(measure.met, measure.of),
        shown=measure.short[start : start + SHORTFALLS_PER_PAGE],
        first_shown=start + 1,
        pagination=pagination(number, last, lambda each: _shortfalls_link(key, each)),
    )
