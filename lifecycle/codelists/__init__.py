"""OCDS 1.1.5 codelists the product validates against (copied from the standard, Apache 2.0)."""

import csv
from functools import cache
from importlib.resources import files


@cache
def document_types() -> frozenset[str]:
    """Every code in the OCDS documentType codelist."""
    with files(__package__).joinpath("documentType.csv").open(encoding="utf-8") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))
