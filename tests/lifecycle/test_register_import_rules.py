"""Reading an existing register: layouts told apart by their header, dates and money parsed
strictly, each problem named by row and column without repeating the file's words, and the
manager matched to a person by email or by a name only one person has."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.register_import import (
    CONTRACTS_FINDER_NOTICES,
    CONTRACTS_FINDER_OCDS,
    MAX_PENCE,
    TRANSPARENCY_CODE,
    category_for_cpv,
    match_manager,
    parse,
    parse_date,
    parse_pence,
)
from lifecycle.rules import Category

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
HEADER = "Notice ID,Award Title,Supplier Name,Contract Start Date,Contract End Date,Award Value\n"


def problems(text: str | bytes) -> list[str]:
    """The problems parse finds, as the importer reads them."""
    data = text.encode() if isinstance(text, str) else text
    return [str(problem) for problem in parse(data).problems]


def test_both_real_files_are_read_whole() -> None:
    notices = parse((REAL / "leeds-city-council-award_20200706-20200713.csv").read_bytes())
    assert notices.layout is CONTRACTS_FINDER_NOTICES and not notices.problems
    assert len(notices.contracts) == 23
    first = notices.contracts[0]
    assert first.row == 2 and first.reference.startswith("5eec9e9b-f5b9-4704-8265")
    assert (first.value_pence, first.start_date, first.end_date) == (
        3_721_600,
        date(2020, 7, 8),
        date(2020, 9, 4),
    )
    assert first.description == ""  # Contracts Finder's "." says nothing
    ocds = parse((REAL / "cf_export-2020-07-01_awards_flat.csv").read_bytes())
    assert ocds.layout is CONTRACTS_FINDER_OCDS and not ocds.problems
    assert len(ocds.contracts) == 10
    # The notice id is the OCID without Contracts Finder's prefix.
    assert ocds.contracts[0].reference == "1270ee0c-bfb1-471a-b260-c3c2274112ea"
    assert ocds.contracts[5].value_pence == 28_800_000_00
    assert ocds.contracts[0].start_date is None and ocds.contracts[0].category is Category.SERVICES


def test_the_transparency_code_layout_is_the_register_this_product_publishes() -> None:
    text = (
        "Reference,OCID,Title,Department,Description,Supplier name,Start date,End date,"
        'Review date,"Value (GBP, whole life)",Procurement process,Contract manager\n'
        "LCC-0042,x,Grounds maintenance,Parks,Mowing,Green Ltd,01/04/2025,31/03/2028,"
        '2025-10-01,"£1,250,000.50",Open tender,Ann Lee\n'
    )
    parsed = parse(text.encode())
    assert parsed.layout is TRANSPARENCY_CODE and not parsed.problems
    (row,) = parsed.contracts
    assert (row.reference, row.department, row.value_pence) == ("LCC-0042", "Parks", 125_000_050)
    assert (row.start_date, row.end_date) == (date(2025, 4, 1), date(2028, 3, 31))
    assert row.manager_name == "Ann Lee"


def test_each_problem_is_named_by_row_and_column() -> None:
    found = problems(
        HEADER
        + "A,Roofing,Roof Co,2020-02-30,2020-09-04,100\n"
        + "B,Boilers,Heat Ltd,2020-07-01,2020-06-01,1.5E+07\n"
        + "C,,Heat Ltd,2020-07-01,2020-08-01,-5\n"
        + "A,Doors,Door Co,2020-07-01,2020-08-01,5\n"
    )
    assert found == [
        'row 2, column "Contract Start Date": not a date (YYYY-MM-DD or DD/MM/YYYY)',
        'row 3, column "Award Value": not an amount of money in pounds',
        'row 3, column "Contract End Date": before the start date',
        'row 4, column "Award Title": empty',
        'row 4, column "Award Value": not an amount of money in pounds',
        'row 5, column "Notice ID": the same reference as row 2',
    ]


def test_a_problem_never_repeats_the_file() -> None:
    secret = "x" * 500
    found = problems(HEADER + f"A,T,S,{secret},2020-01-01,{secret}\n")
    assert found and all(secret[:20] not in problem for problem in found)


def test_missing_columns_are_named_and_no_row_is_read() -> None:
    assert problems("Notice ID,Award Value,Award Title\nA,1,T\n") == [
        'row 1, column "Supplier Name": column missing',
        'row 1, column "Contract Start Date": column missing',
        'row 1, column "Contract End Date": column missing',
    ]
    assert problems("Name,Amount\nA,1\n")[0].startswith("row 1: the header matches no known")


def test_bytes_that_are_not_utf8_are_named_by_row_and_column() -> None:
    latin1 = (HEADER + "A,Café refit,S,2020-01-01,2020-02-01,12\n").encode("latin-1")
    assert problems(latin1) == ['row 2, column "Award Title": is not UTF-8 text']
    # A byte order mark is not a problem; a short row is.
    assert problems(b"\xef\xbb\xbf" + HEADER.encode() + b"A,T,S,2020-01-01,2020-02-01\n") == [
        "row 2: has 5 cells where the header has 6"
    ]
    assert problems(b"") == ["row 1: the file is empty"]
    assert problems(HEADER) == ["row 2: the file has no contract rows"]


def test_rows_count_as_a_spreadsheet_shows_them() -> None:
    """A cell holding line breaks is still one row."""
    found = problems(HEADER + 'A,"Two\nlines",S,2020-01-01,2020-02-01,1\nB,T,S,bad,2020-02-01,1\n')
    assert found == ['row 3, column "Contract Start Date": not a date (YYYY-MM-DD or DD/MM/YYYY)']


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-07-08", date(2020, 7, 8)),
        ("2020-07-08T00:00:00Z", date(2020, 7, 8)),
        ("2024-02-29T09:30:00+01:00", date(2024, 2, 29)),
        ("31/12/2025", date(2025, 12, 31)),
    ],
)
def test_dates_as_registers_write_them(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-29", "8/7/2020", "July 2020", "2020-13-01", "45123"])
def test_anything_else_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "pence"),
    [("37216.0", 3_721_600), ("24363.7", 2_436_370), ("£1,250.05", 125_005), ("0", 0)],
)
def test_money_as_registers_write_it(text: str, pence: int) -> None:
    assert parse_pence(text) == pence


@pytest.mark.parametrize("text", ["-5", "1.234", "1e5", "12,34", "£", "1 000", "GBP 5"])
def test_anything_else_is_not_money(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pence(text)


@given(st.integers(min_value=0, max_value=MAX_PENCE - 1), st.booleans(), st.booleans())
def test_money_in_pence_round_trips(pence: int, grouped: bool, pound_sign: bool) -> None:
    """However a whole number of pence is written in pounds, it is read back exactly."""
    pounds = f"{pence // 100:,}" if grouped else str(pence // 100)
    assert parse_pence(f"{'£' if pound_sign else ''}{pounds}.{pence % 100:02d}") == pence


@given(st.dates())
def test_dates_round_trip_in_every_layout(day: date) -> None:
    for text in (day.isoformat(), f"{day.isoformat()}T00:00:00Z", f"{day:%d/%m/%Y}"):
        if day.year >= 1000:
            assert parse_date(text) == day


@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_never_crash(data: bytes) -> None:
    """Whatever the file holds, parse answers with contracts or problems (never both empty)."""
    parsed = parse(HEADER.encode() + data)
    assert parsed.contracts or parsed.problems
    if parsed.problems:
        assert all(problem.row >= 1 for problem in parsed.problems)


def test_cpv_division_gives_the_category() -> None:
    assert category_for_cpv("45261000") is Category.WORKS
    assert category_for_cpv("35113410") is Category.GOODS
    assert category_for_cpv("48000000-8") is Category.GOODS
    assert category_for_cpv("79000000") is Category.SERVICES
    assert category_for_cpv("") is None and category_for_cpv("7900") is None


def test_the_manager_is_matched_by_email_then_by_a_name_only_one_has() -> None:
    people = [(1, "Ann Lee", "ann@council.example"), (2, "Sam Roy", "sam@council.example")]
    assert match_manager("Someone Else", "sam@council.example", people) == 2
    assert match_manager("ann  LEE", None, people) == 1
    assert match_manager("Ann Lee", None, [*people, (3, "Ann Lee", "ann2@council.example")]) is None
    assert match_manager(None, "nobody@council.example", people) is None
