"""Reading a council's existing contract register from a CSV file: which layout it is (told by
its header), each row mapped to one contract, dates and money parsed strictly, and every problem
named by row and column without repeating what the file holds. Pure: bytes in, values out."""

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from lifecycle.rules import Category

# Rows are numbered as a spreadsheet shows them: the header is row 1, the first contract row 2
# (a cell holding line breaks is still one row).
HEADER_ROW = 1
MAX_ROWS = 50_000
MAX_PENCE = 10**14  # a trillion pounds: anything larger is a typing slip, not a contract
# Contracts Finder's OCDS identifiers are its prefix followed by the notice id.
CONTRACTS_FINDER_OCID_PREFIX = "ocds-b5fd17-"


@dataclass(frozen=True)
class Layout:
    """One published register layout: the columns that tell it apart, and which column holds
    each field (`required` columns must be present; the others are read when they are)."""

    key: str
    name: str
    signature: frozenset[str]
    columns: Mapping[str, str]
    required: tuple[str, ...]


# Contracts Finder's notice search export, one award per row (24 columns).
CONTRACTS_FINDER_NOTICES = Layout(
    key="contracts_finder_notices",
    name="Contracts Finder notices CSV",
    signature=frozenset({"Notice ID", "Award Value"}),
    columns={
        "reference": "Notice ID",
        "title": "Award Title",
        "description": "Award Description",
        "supplier_name": "Supplier Name",
        "awarded_on": "Date Contract Awarded",
        "start_date": "Contract Start Date",
        "end_date": "Contract End Date",
        "value": "Award Value",
        "currency": "Award Value - currency",
        "cpv": "Classification Code",
    },
    required=("reference", "title", "supplier_name", "start_date", "end_date", "value"),
)

# Contracts Finder's award notices as flattened OCDS release packages (69 columns).
_RELEASE = "releases/0/"
_AWARD = _RELEASE + "awards/0/"
CONTRACTS_FINDER_OCDS = Layout(
    key="contracts_finder_ocds",
    name="Contracts Finder flattened OCDS CSV",
    signature=frozenset({_RELEASE + "ocid", _AWARD + "value/amount"}),
    columns={
        "reference": _RELEASE + "ocid",
        "title": _RELEASE + "tender/title",
        "description": _RELEASE + "tender/description",
        "supplier_name": _AWARD + "suppliers/0/name",
        "awarded_on": _AWARD + "date",
        "start_date": _AWARD + "contractPeriod/startDate",
        "end_date": _AWARD + "contractPeriod/endDate",
        "value": _AWARD + "value/amount",
        "currency": _AWARD + "value/currency",
        "cpv": _RELEASE + "tender/items/0/classification/id",
        "manager_name": _RELEASE + "buyer/contactPoint/name",
        "manager_email": _RELEASE + "buyer/contactPoint/email",
    },
    required=("reference", "title", "supplier_name", "awarded_on", "value"),
)

# The Local Government Transparency Code register, as this product publishes it (its CSV).
TRANSPARENCY_CODE = Layout(
    key="transparency_code",
    name="Transparency Code contract register CSV",
    signature=frozenset({"Reference", "Title", "Value (GBP, whole life)"}),
    columns={
        "reference": "Reference",
        "title": "Title",
        "department": "Department",
        "description": "Description",
        "supplier_name": "Supplier name",
        "supplier_registration_number": "Supplier registration number",
        "start_date": "Start date",
        "end_date": "End date",
        "review_date": "Review date",
        "value": "Value (GBP, whole life)",
        "procurement_process": "Procurement process",
        "manager_name": "Contract manager",
    },
    required=("reference", "title", "supplier_name", "start_date", "end_date", "value"),
)

LAYOUTS = (CONTRACTS_FINDER_NOTICES, CONTRACTS_FINDER_OCDS, TRANSPARENCY_CODE)


@dataclass(frozen=True)
class Problem:
    """Why the file cannot be imported, at a row and (where there is one) a column."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        """'row 4, column "Award Value": not an amount of money'."""
        where = f'row {self.row}, column "{self.column}"' if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportedContract:
    """One contract as the file gives it; None where the file does not say."""

    row: int
    reference: str
    title: str
    value_pence: int
    description: str = ""
    department: str | None = None
    supplier_name: str | None = None
    supplier_registration_number: str | None = None
    awarded_on: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    review_date: date | None = None
    procurement_process: str | None = None
    category: Category | None = None
    manager_name: str | None = None
    manager_email: str | None = None


@dataclass(frozen=True)
class Parsed:
    """A file read: its layout (None when no layout matched), its contracts, and what is
    wrong with it. A file with any problem is imported not at all."""

    layout: Layout | None
    contracts: tuple[ImportedContract, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Contracts Finder writes a date as midnight UTC ("2020-07-08T00:00:00Z"): the date is the day.
_ISO_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"
)
_UK_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_MONEY = re.compile(r"£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD, as an ISO timestamp (its date), or DD/MM/YYYY; anything
    else (or a day that does not exist) is a ValueError."""
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text) or _ISO_STAMP.fullmatch(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError("not a date")
    return date(int(year), int(month), int(day))


def parse_pence(text: str) -> int:
    """Pounds as written in a register ('69226.47', '£1,250.5', '37216.0') in integer pence;
    a negative amount, more than two decimal places or an exponent is a ValueError."""
    match = _MONEY.fullmatch(text.strip())
    if match is None:
        raise ValueError("not an amount of money")
    pounds, decimals = match.groups()
    pence = int(pounds.replace(",", "")) * 100 + int((decimals or "0").ljust(2, "0"))
    if pence >= MAX_PENCE:
        raise ValueError("too large an amount")
    return pence


def category_for_cpv(code: str) -> Category | None:
    """The procurement category a CPV code's division gives: 45 is works, 01 to 44 and 48 are
    supplies (goods), the rest services; None for what is not a CPV code."""
    match = re.fullmatch(r"(\d{2})\d{6}(?:-\d)?", code.strip())
    if match is None:
        return None
    division = int(match.group(1))
    if division == 45:
        return Category.WORKS
    if division < 45 or division == 48:
        return Category.GOODS
    return Category.SERVICES


def _meaningful(text: str) -> str:
    """The cell trimmed; a cell with no letter or digit (Contracts Finder's "." for no
    description) says nothing."""
    text = " ".join(text.split())
    return text if any(char.isalnum() for char in text) else ""


def notice_reference(layout: Layout, text: str) -> str:
    """The contract's own reference: for Contracts Finder OCDS, the notice id in its OCID."""
    if layout is CONTRACTS_FINDER_OCDS and text.startswith(CONTRACTS_FINDER_OCID_PREFIX):
        return text[len(CONTRACTS_FINDER_OCID_PREFIX) :]
    return text


def detect(header: Sequence[str]) -> Layout | None:
    """The layout whose signature columns the header holds."""
    names = set(header)
    return next((layout for layout in LAYOUTS if layout.signature <= names), None)


def _decode(data: bytes) -> str:
    """The file as text. Bytes that are not UTF-8 are kept as stand-ins (surrogates), so the
    row and column they sit in can be named."""
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")


def _not_utf8(text: str) -> bool:
    """Whether a cell holds bytes that were not UTF-8."""
    return any("\udc80" <= char <= "\udcff" for char in text)


def _records(text: str) -> tuple[list[list[str]], Problem | None]:
    """The CSV records, or the row at which the file stops being CSV."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            records.append(record)
            if len(records) > MAX_ROWS + 1:
                return records, Problem(len(records), None, f"more than {MAX_ROWS} rows")
    except csv.Error:
        return records, Problem(len(records) + 1, None, "is not well-formed CSV")
    return records, None


def _header_problems(header: list[str]) -> tuple[Layout | None, list[Problem]]:
    """The layout, or why the header names none; the required columns it lacks."""
    if any(_not_utf8(name) for name in header):
        return None, [Problem(HEADER_ROW, None, "is not UTF-8 text: save the file as UTF-8 CSV")]
    layout = detect([name.strip() for name in header])
    if layout is None:
        known = "; ".join(layout.name for layout in LAYOUTS)
        return None, [Problem(HEADER_ROW, None, f"the header matches no known layout ({known})")]
    present = {name.strip() for name in header}
    problems = [
        Problem(HEADER_ROW, layout.columns[name], "column missing")
        for name in layout.required
        if layout.columns[name] not in present
    ]
    return layout, problems


def _row(layout: Layout, number: int, cells: Mapping[str, str]) -> ImportedContract | list[Problem]:
    """One row as a contract, or what is wrong with it."""
    problems: list[Problem] = []

    def text(name: str) -> str:
        return _meaningful(cells.get(layout.columns.get(name, ""), ""))

    def day(name: str) -> date | None:
        value = text(name)
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            problems.append(
                Problem(number, layout.columns[name], "not a date (YYYY-MM-DD or DD/MM/YYYY)")
            )
            return None

    reference = notice_reference(layout, text("reference"))
    for name in ("reference", "title", "value"):
        if not text(name):
            problems.append(Problem(number, layout.columns[name], "empty"))
    if len(reference) > 100:
        problems.append(Problem(number, layout.columns["reference"], "longer than 100 characters"))
    value = 0
    if text("value"):
        try:
            value = parse_pence(text("value"))
        except ValueError:
            problems.append(
                Problem(number, layout.columns["value"], "not an amount of money in pounds")
            )
    if text("currency") not in ("", "GBP"):
        problems.append(Problem(number, layout.columns["currency"], "not in pounds (GBP)"))
    dates = {name: day(name) for name in ("awarded_on", "start_date", "end_date", "review_date")}
    start, end = dates["start_date"], dates["end_date"]
    if start and end and end < start:
        problems.append(Problem(number, layout.columns["end_date"], "before the start date"))
    if problems:
        return problems
    return ImportedContract(
        row=number,
        reference=reference,
        title=text("title")[:300],
        value_pence=value,
        description=text("description")[:2000],
        department=text("department") or None,
        supplier_name=text("supplier_name")[:300] or None,
        supplier_registration_number=text("supplier_registration_number")[:40] or None,
        awarded_on=dates["awarded_on"],
        start_date=start,
        end_date=end,
        review_date=dates["review_date"],
        procurement_process=text("procurement_process")[:200] or None,
        category=category_for_cpv(text("cpv")),
        manager_name=text("manager_name")[:200] or None,
        manager_email=text("manager_email").lower()[:254] or None,
    )


def parse(data: bytes) -> Parsed:
    """Read a whole file. Every problem is collected (up to the point the file stops being
    CSV), so one run tells the importer all that must be fixed."""
    records, broken = _records(_decode(data))
    if not records:
        return Parsed(None, problems=(Problem(HEADER_ROW, None, "the file is empty"),))
    layout, problems = _header_problems(records[0])
    if layout is None or problems:
        return Parsed(layout, problems=tuple(problems))
    header = [name.strip() for name in records[0]]
    contracts: list[ImportedContract] = []
    first_row: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=HEADER_ROW + 1):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        if len(record) != len(header):
            problems.append(
                Problem(number, None, f"has {len(record)} cells where the header has {len(header)}")
            )
            continue
        cells = dict(zip(header, record, strict=True))
        if bad := [name for name, cell in cells.items() if _not_utf8(cell)]:
            problems += [Problem(number, name, "is not UTF-8 text") for name in bad]
            continue
        reference = notice_reference(layout, _meaningful(cells[layout.columns["reference"]]))
        if reference in first_row:
            problems.append(
                Problem(
                    number,
                    layout.columns["reference"],
                    f"the same reference as row {first_row[reference]}",
                )
            )
            continue
        if reference:
            first_row[reference] = number
        parsed = _row(layout, number, cells)
        if isinstance(parsed, list):
            problems += parsed
            continue
        contracts.append(parsed)
    if broken is not None:
        problems.append(broken)
    if not contracts and not problems:
        problems.append(Problem(HEADER_ROW + 1, None, "the file has no contract rows"))
    return Parsed(layout, tuple(contracts), tuple(problems))


def match_manager(
    name: str | None, email: str | None, people: Sequence[tuple[int, str, str]]
) -> int | None:
    """The id of the person (id, name, email) the register names as manager: by email, else
    by a name that only one of them has (letter case and spacing aside); None otherwise."""
    if email:
        found = [person_id for person_id, _, address in people if address.lower() == email]
        if found:
            return found[0]
    if name:
        wanted = " ".join(name.split()).casefold()
        found = [pid for pid, known, _ in people if " ".join(known.split()).casefold() == wanted]
        if len(found) == 1:
            return found[0]
    return None
