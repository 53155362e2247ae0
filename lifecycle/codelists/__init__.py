"""OCDS 1.1.5 codelists the product validates against (copied from the standard, Apache 2.0)."""

import csv
from functools import cache
from importlib.resources import files


@cache
def document_types() -> frozenset[str]:
    """Every code in the OCDS documentType codelist."""
    with files(__package__).joinpath("documentType.csv").open(encoding="utf-8") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


@cache
def _document_sections() -> dict[str, tuple[str, ...]]:
    """Each documentType code with the release sections the codelist says it belongs to."""
    with files(__package__).joinpath("documentType.csv").open(encoding="utf-8") as handle:
        return {
            row["Code"]: tuple(part.strip() for part in row["Section"].split(",") if part.strip())
            for row in csv.DictReader(handle)
        }


def document_sections(code: str) -> tuple[str, ...]:
    """The release sections (planning, tender, award, contract, implementation, bid...) that
    the documentType codelist names for a code; empty for an unknown code."""
    return _document_sections().get(code, ())
