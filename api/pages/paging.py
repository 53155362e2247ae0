"""Lists shown a page at a time: the GOV.UK pagination component's parameters."""

from collections.abc import Callable
from typing import Any


def pagination(number: int, last: int, link: Callable[[int], str]) -> dict[str, Any] | None:
    """The component's parameters for page `number` of `last` (None for a single page): the
    first and last pages and those either side of this one, with ellipses between."""
    if last <= 1:
        return None
    shown = sorted({1, last, number - 1, number, number + 1} & set(range(1, last + 1)))
    items: list[dict[str, Any]] = []
    for index, each in enumerate(shown):
        if index and each - shown[index - 1] > 1:
            items.append({"ellipsis": True})
        items.append({"number": each, "href": link(each), "current": each == number})
    return {
        "items": items,
        "previous": {"href": link(number - 1)} if number > 1 else None,
        "next": {"href": link(number + 1)} if number < last else None,
    }
