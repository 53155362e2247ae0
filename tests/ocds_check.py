"""Validating OCDS output in tests against the official 1.1.5 schemas, counting what was
checked so a run can report its figures (`CHECKED`)."""

from collections import Counter
from pathlib import Path
from typing import Any

from lifecycle.ocds_validation import errors

# The official schemas sit beside the project: ../shared/data/ocds-1.1.5 from its root.
SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ocds-1.1.5"
CHECKED: Counter[str] = Counter()


def assert_valid(kind: str, document: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Fail with every schema error of a release package, record package or single release
    (`extra`: documentType codes an extension adds)."""
    found = list(errors(SCHEMAS, kind, document, extra))
    CHECKED[kind] += 1
    if kind == "release":
        CHECKED["releases in packages"] += len(document["releases"])
    CHECKED["errors"] += len(found)
    assert found == [], found[:20]
