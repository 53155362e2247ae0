"""OCDS records and packages. A record compiles a contracting process's releases with the
standard's merge rules (OCDS 1.1, "Merging"): releases in date order, each field's latest value
wins, objects merge field by field, arrays of objects merge item by item on their `id`, other
arrays (and those marked wholeListMerge) are replaced whole, and a null removes a field. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

OCDS_VERSION = "1.1"
# Fields of a release that describe the release, not the process (omitWhenMerged).
OMIT_WHEN_MERGED = ("id", "date", "tag")
# Arrays the schema marks wholeListMerge: replaced whole even though their items are objects.
WHOLE_LIST_MERGE = frozenset({"additionalIdentifiers", "additionalClassifications"})


@dataclass(frozen=True)
class Publisher:
    """Who publishes the packages, and under which licence."""

    name: str
    scheme: str
    uid: str
    license: str
    policy: str


def _by_id(items: Any) -> bool:
    """Whether an array merges item by item: every item an object with an id."""
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(item, dict) and item.get("id") is not None for item in items)
    )


def _merge_value(old: Any, new: Any, name: str) -> Any:
    """One field's compiled value once `new` arrives."""
    if isinstance(new, dict):
        return merge_object(old if isinstance(old, dict) else {}, new)
    if name not in WHOLE_LIST_MERGE and _by_id(new) and (old is None or _by_id(old)):
        merged: dict[str, Any] = {str(item["id"]): item for item in (old or [])}
        for item in new:
            key = str(item["id"])
            merged[key] = merge_object(merged.get(key, {}), item)
        return list(merged.values())
    return new


def merge_object(old: Json, new: Json) -> Json:
    """`new` laid over `old` by the merge rules; a null in `new` removes the field."""
    result = dict(old)
    for name, value in new.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = _merge_value(result.get(name), value, name)
    return result


def compile_releases(releases: Sequence[Json]) -> Json:
    """The compiled release: the process's latest state, tagged `compiled`."""
    if not releases:
        raise ValueError("a record needs at least one release")
    ordered = sorted(releases, key=lambda r: r["date"])
    compiled: Json = {}
    for release in ordered:
        compiled = merge_object(
            compiled, {k: v for k, v in release.items() if k not in OMIT_WHEN_MERGED}
        )
    last = ordered[-1]["date"]
    return {
        "ocid": ordered[0]["ocid"],
        "id": f"{ordered[0]['ocid']}-{last}",
        "date": last,
        "tag": ["compiled"],
        **{k: v for k, v in compiled.items() if k != "ocid"},
    }


def record(releases: Sequence[Json]) -> Json:
    """A record: every release of one process, and the compiled release."""
    ordered = sorted(releases, key=lambda r: r["date"])
    return {
        "ocid": ordered[0]["ocid"],
        "releases": list(ordered),
        "compiledRelease": compile_releases(ordered),
    }


def _package(uri: str, published: str, publisher: Publisher) -> Json:
    """The metadata every package carries."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": published,
        "publisher": {"name": publisher.name, "scheme": publisher.scheme, "uid": publisher.uid},
        "license": publisher.license,
        "publicationPolicy": publisher.policy,
    }


def release_package(
    releases: Sequence[Json], *, uri: str, publisher: Publisher, published: str | None = None
) -> Json:
    """A release package. Generated on demand, so published on the latest release's date
    (the standard's advice), which also makes the same releases give the same package."""
    when = published or max((r["date"] for r in releases), default="1970-01-01T00:00:00Z")
    return {**_package(uri, when, publisher), "releases": list(releases)}


def record_package(records: Sequence[Json], *, uri: str, publisher: Publisher) -> Json:
    """A record package, published on its latest release's date."""
    when = max(r["compiledRelease"]["date"] for r in records)
    return {**_package(uri, when, publisher), "records": list(records)}
