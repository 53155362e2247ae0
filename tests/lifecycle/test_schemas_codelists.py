"""The OCDS 1.1.5 documentType codelist the repository validates document types against."""

import pytest

from lifecycle.codelists import document_types


@pytest.mark.parametrize(
    "code",
    [
        "contractDraft",
        "contractSigned",
        "contractSummary",
        "contractArrangements",  # the exit plan
        "contractSchedule",
        "awardNotice",
        "tenderNotice",
    ],
)
def test_codelist_holds_the_codes_the_domain_uses(code: str) -> None:
    assert code in document_types()


@pytest.mark.parametrize(
    "code",
    ["exitPlan", "signedContract", "contractsigned", "ContractSigned", "", "Code", "lessons"],
)
def test_codelist_rejects_made_up_codes(code: str) -> None:
    assert code not in document_types()


def test_codelist_is_a_frozen_set_of_plain_codes() -> None:
    codes = document_types()
    assert isinstance(codes, frozenset)
    assert len(codes) > 30
    assert all(code and code == code.strip() and " " not in code for code in codes)
    assert document_types() is codes  # read once
