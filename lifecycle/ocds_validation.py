"""Checking OCDS output against the official 1.1.5 schemas (JSON Schema draft 4), offline. The
schemas refer to each other by their published URLs; those are served from the folder instead.
Every codelist field is held to its codelist CSV: closed ones already carry an enum (checked
against the CSV here), and open ones are closed to their listed codes, since procure emits no
code of its own."""

import csv
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

Json = dict[str, Any]
PACKAGES = {
    "release": "release-package-schema.json",
    "record": "record-package-schema.json",
    "single": "release-schema.json",
}


def codelist(folder: Path, name: str) -> list[str]:
    """The codes of one codelist CSV."""
    with (folder / "codelists" / name).open(encoding="utf-8") as handle:
        return [row["Code"] for row in csv.DictReader(handle)]


def _close_codelists(node: Any, folder: Path, extra: tuple[str, ...]) -> None:
    """Give every codelist field the enum of its CSV (an array field: its items), keeping
    null where the schema allows it. A closed list whose enum disagrees with its CSV fails."""
    if isinstance(node, list):
        for item in node:
            _close_codelists(item, folder, extra)
        return
    if not isinstance(node, dict):
        return
    if "codelist" in node:
        codes = codelist(folder, node["codelist"])
        given_enum = node.get("enum") or node.get("items", {}).get("enum")
        if node["codelist"] == "documentType.csv":
            codes += list(extra)
        types = node.get("type")
        is_array = types == "array" or (isinstance(types, list) and "array" in types)
        target = node["items"] if is_array else node
        if given_enum is not None and sorted(c for c in given_enum if c is not None) != sorted(
            codes
        ):
            raise ValueError(f"{node['codelist']}: the schema's enum differs from the CSV")
        nullable = isinstance(target.get("type"), list) and "null" in target["type"]
        target["enum"] = [*codes, None] if nullable else list(codes)
    for value in node.values():
        _close_codelists(value, folder, extra)


@cache
def _schemas(folder: Path, extra: tuple[str, ...]) -> dict[str, Json]:
    """The three schemas, codelists closed (documentType also taking `extra` codes)."""
    loaded: dict[str, Json] = {}
    for name in PACKAGES.values():
        schema = json.loads((folder / name).read_text(encoding="utf-8"))
        _close_codelists(schema, folder, extra)
        loaded[name] = schema
    return loaded


@cache
def validator(folder: Path, kind: str, extra: tuple[str, ...] = ()) -> Draft4Validator:
    """A draft-4 validator for a release package, record package or single release;
    `extra`: documentType codes an extension adds (the UK's, for notices)."""
    schemas = _schemas(folder.resolve(), extra)
    registry: Registry[Any] = Registry().with_resources(
        (schema["id"], DRAFT4.create_resource(schema)) for schema in schemas.values()
    )
    return Draft4Validator(
        schemas[PACKAGES[kind]], registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


def errors(folder: Path, kind: str, document: Json, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Every way `document` breaks the schema, as 'path: message'."""
    for error in validator(folder, kind, extra).iter_errors(document):
        where = "/".join(str(part) for part in error.absolute_path)
        yield f"{where}: {error.message[:300]}"
