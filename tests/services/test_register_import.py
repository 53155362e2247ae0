"""`procure import register`: both real published files import as cases already in
monitoring, each keeping its own reference (shown on the register, its page, CSV and API); the
dry run writes nothing; a rerun creates nothing and a changed row updates with its old and new
values in the history; a broken file is refused whole, its row and column named; the assurance
report counts the imported contracts. On SQLite and PostgreSQL."""

import csv
import io
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, col, select

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import (
    AuditEvent,
    Case,
    Contract,
    Flag,
    FlowRequest,
    Mail,
    RegisterEntry,
    User,
)
from lifecycle.register_import import TRANSPARENCY_CODE, parse
from lifecycle.services import audit_chain, register_import
from lifecycle.services.register_import import INCOMPLETE, NO_MANAGER, PAST_END, UNSIGNED
from lifecycle.settings import Settings

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
LEEDS = REAL / "leeds-city-council-award_20200706-20200713.csv"
OCDS = REAL / "cf_export-2020-07-01_awards_flat.csv"
WRITTEN = (Case, Contract, RegisterEntry, Flag, AuditEvent, FlowRequest)


def counts(engine: Engine) -> dict[str, int]:
    """How many rows each table the import writes holds."""
    with Session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in WRITTEN
        }


def rows_of(path: Path) -> list[list[str]]:
    """A CSV file's records."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write(path: Path, records: list[list[str]]) -> Path:
    """Records as a UTF-8 CSV file."""
    out = io.StringIO()
    csv.writer(out).writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def importer(make_user: Callable[..., tuple[User, str]]) -> User:
    """A procurement officer who imports."""
    return make_user("procurement")[0]


def run_import(
    engine: Engine, importer: User | None, path: Path, settings: Settings, *, apply: bool = True
) -> register_import.ImportReport:
    """One import, in its own transaction, as the command runs it."""
    with transaction(engine) as session:
        return register_import.run(
            session,
            by=session.get(User, importer.id) if importer else None,
            data=path.read_bytes(),
            apply=apply,
            settings=settings,
        )


def test_both_real_files_import_once_however_often_run(
    engine: Engine, importer: User, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if imported in the week these notices were published: most contracts still live.
    monkeypatch.setattr(clock, "today", lambda: date(2020, 9, 1))
    dry = run_import(engine, importer, LEEDS, settings, apply=False)
    assert (dry.count("create"), dry.applied) == (23, False)
    assert dry.rows[0].lacks[0] == "the register names no manager"
    assert dry.rows[0].lacks[1].startswith("the register lacks: department, description")
    assert set(counts(engine).values()) == {0}, "the dry run wrote something"

    leeds = run_import(engine, importer, LEEDS, settings)
    ocds = run_import(engine, importer, OCDS, settings)
    assert (leeds.count("create"), ocds.count("create")) == (23, 10)
    written = counts(engine)
    assert written["Case"] == 33 and written["RegisterEntry"] == 33
    assert written["Contract"] == 23  # the OCDS awards give no contract dates: none invented
    assert written["FlowRequest"] == 0  # no stage flow run per case

    with Session(engine) as session:
        cases = session.exec(select(Case)).all()
        assert {(case.stage, case.status, case.contract) for case in cases} == {
            ("monitoring", "in_progress", True)
        }
        entry = session.exec(
            select(RegisterEntry).where(
                RegisterEntry.source_reference == "1270ee0c-bfb1-471a-b260-c3c2274112ea"
            )
        ).one()
        assert (entry.status, entry.value_pence, entry.supplier_name) == (
            "published",
            231_265_00,
            "Pixel Global T/A Pixel Group Ltd",
        )
        events = session.exec(
            select(AuditEvent.action).where(AuditEvent.case_id == entry.case_id)
        ).all()
        assert events[:2] == ["contract_imported", "stage_entered"]
        codes = session.exec(select(Flag.code)).all()
        assert {code: codes.count(code) for code in set(codes)} == {
            NO_MANAGER: 33,
            INCOMPLETE: 33,
            UNSIGNED: 33,
            PAST_END: 2,  # two Leeds contracts had ended by 1 September 2020
        }
        # Each live contract's first review is scheduled, as monitoring would schedule it.
        reviews = session.exec(select(Contract.next_review_due)).all()
        assert sum(1 for due in reviews if due is not None) == 21
        incomplete = session.exec(
            select(Flag.message).where(Flag.case_id == entry.case_id, Flag.code == INCOMPLETE)
        ).one()
        assert "department" in incomplete and "start date" in incomplete
        # The history of every imported case is an intact chain.
        assert not audit_chain.verify(session).altered

    before = counts(engine)
    again = run_import(engine, importer, LEEDS, settings)
    assert again.count("unchanged") == 23 and again.count("create") == 0
    assert run_import(engine, importer, OCDS, settings).count("unchanged") == 10
    assert counts(engine) == before, "a rerun wrote something"


def test_a_changed_row_updates_with_old_and_new_values(
    engine: Engine, importer: User, settings: Settings, tmp_path: Path
) -> None:
    run_import(engine, importer, LEEDS, settings)
    records = rows_of(LEEDS)
    header = records[0]
    value, end = header.index("Award Value"), header.index("Contract End Date")
    records[4][value], records[4][end] = "25000.00", "2021-03-31"
    changed = run_import(engine, importer, write(tmp_path / "changed.csv", records), settings)
    (update,) = [plan for plan in changed.rows if plan.action == "update"]
    assert (update.row, set(update.changed)) == (5, {"value_pence", "end_date"})
    assert changed.count("unchanged") == 22 and changed.count("create") == 0
    with Session(engine) as session:
        entry = session.exec(
            select(RegisterEntry).where(RegisterEntry.source_reference == records[4][0])
        ).one()
        contract = session.exec(select(Contract).where(Contract.case_id == entry.case_id)).one()
        case = session.get(Case, entry.case_id)
        assert case is not None and case.estimated_value_pence == 25_000_00
        assert (entry.value_pence, str(entry.end_date), str(contract.end_date)) == (
            25_000_00,
            "2021-03-31",
            "2021-03-31",
        )
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == entry.case_id, AuditEvent.action == "import_updated"
            )
        ).one()
        assert event.actor_id == importer.id
        assert event.detail["before"] == {"value_pence": 6_922_647, "end_date": "2020-09-04"}
        assert event.detail["after"] == {"value_pence": 25_000_00, "end_date": "2021-03-31"}
        assert not audit_chain.verify(session).altered


def _broken(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A copy of the real Leeds file broken one way at its 7th row, and what the refusal
    must name."""
    records = rows_of(LEEDS)
    header = records[0]
    if kind == "missing column":
        column = header.index("Contract Start Date")
        records = [record[:column] + record[column + 1 :] for record in records]
        return write(tmp_path / "f.csv", records), 'row 1, column "Contract Start Date"'
    if kind == "bad date":
        records[6][header.index("Contract End Date")] = "31/09/2020"
        return write(tmp_path / "f.csv", records), 'row 7, column "Contract End Date"'
    if kind == "bad money":
        records[6][header.index("Award Value")] = "£12k"
        return write(tmp_path / "f.csv", records), 'row 7, column "Award Value"'
    path = write(tmp_path / "f.csv", records)
    # Windows-1252, as a spreadsheet may save it: "café" in row 9 is not UTF-8.
    path.write_bytes(path.read_bytes().replace("café".encode(), "café".encode("cp1252")))
    return path, 'row 9, column "Award Title"'


@pytest.mark.parametrize("kind", ["bad encoding", "missing column", "bad date", "bad money"])
def test_a_broken_file_is_refused_whole_naming_row_and_column(
    engine: Engine, importer: User, cli: Any, tmp_path: Path, kind: str
) -> None:
    path, named = _broken(tmp_path, kind)
    code, out, err = cli("import", "register", str(path), "--by", importer.email, "--apply")
    assert code == 2 and named in err and "nothing was imported" in err
    assert out == ""
    assert set(counts(engine).values()) == {0}


def test_the_command_lists_each_row_and_imports_only_when_asked(
    engine: Engine, importer: User, cli: Any
) -> None:
    code, out, err = cli("import", "register", str(OCDS))
    assert code == 0 and "row 2: would create 1270ee0c-bfb1-471a-b260-c3c2274112ea" in out
    assert "dry run, nothing imported" in out and counts(engine)["Case"] == 0
    assert "Importing" not in err  # not a terminal: no progress bar
    assert cli("import", "register", str(OCDS), "--apply")[0] == 2  # --apply needs --by
    code, out, _ = cli("import", "register", str(OCDS), "--by", importer.email, "--apply")
    assert code == 0 and "row 2: created as PR-" in out and "10 created" in out
    code, out, _ = cli("import", "register", str(OCDS), "--by", importer.email, "--apply")
    assert code == 0 and "10 unchanged" in out and counts(engine)["Case"] == 10


def test_only_procurement_or_an_admin_imports(
    engine: Engine, make_user: Callable[..., tuple[User, str]], cli: Any
) -> None:
    requester = make_user("requester")[0]
    code, _, err = cli("import", "register", str(LEEDS), "--by", requester.email, "--apply")
    assert code == 2 and "procurement or an admin" in err
    assert counts(engine)["Case"] == 0


def test_a_named_manager_is_matched_to_a_contract_manager(
    engine: Engine,
    importer: User,
    settings: Settings,
    make_user: Callable[..., tuple[User, str]],
) -> None:
    with transaction(engine) as session:
        manager = User(
            name="John Murphy",
            email="john.murphy1@dwp.gov.uk",
            roles="contract_manager",
            token_hash="not-a-token",
        )
        big = User(
            name="DHSC Operations",
            email="procurement.operations@dhsc.gov.uk",
            roles="contract_manager",
            token_hash="not-a-token-either",
        )
        session.add_all([manager, big])
    run_import(engine, importer, OCDS, settings)
    with Session(engine) as session:
        entry = session.exec(
            select(RegisterEntry).where(
                RegisterEntry.source_reference == "1270ee0c-bfb1-471a-b260-c3c2274112ea"
            )
        ).one()
        case = session.get(Case, entry.case_id)
        assert case is not None and case.contract_manager_id == manager.id
        assert entry.contract_manager_name == "John Murphy"
        assert not session.exec(
            select(Flag).where(Flag.case_id == case.id, Flag.code == NO_MANAGER)
        ).first()
        # Contracts of 500,000 or more managed by someone untrained raise a training need,
        # the manager and procurement told (one mail each, not one per flag).
        needs = session.exec(
            select(AuditEvent.case_id).where(AuditEvent.action == "training_need_raised")
        ).all()
        assert len(needs) == 6  # DHSC's six awards of 500,000 or more
        assert session.exec(select(func.count()).select_from(Mail)).one() == 6


def test_the_register_shows_each_contracts_own_reference(
    engine: Engine, importer: User, settings: Settings, client: TestClient
) -> None:
    run_import(engine, importer, OCDS, settings)
    notice = "1270ee0c-bfb1-471a-b260-c3c2274112ea"
    found = client.get("/register", params={"q": notice}).json()
    assert [entry["source_reference"] for entry in found] == [notice]
    exported = client.get("/register.csv").text
    lines = list(csv.reader(io.StringIO(exported)))
    assert lines[0][-1] == "Source reference"
    assert notice in [line[-1] for line in lines[1:]]
    # The register this product publishes is itself the Transparency Code layout it reads.
    again = parse(exported.encode())
    assert again.layout is TRANSPARENCY_CODE and not again.problems
    assert sorted(row.value_pence for row in again.contracts) == sorted(
        int(line[12].replace(".", "")) for line in lines[1:]
    )
    page = client.get("/app/register", params={"q": notice})
    assert page.status_code == 200 and f"Source reference {notice}" in page.text


def test_the_assurance_report_counts_the_imported_contracts(
    engine: Engine,
    importer: User,
    settings: Settings,
    client: TestClient,
    make_user: Callable[..., tuple[User, str]],
    helpers: Any,
) -> None:
    run_import(engine, importer, LEEDS, settings)
    _, token = make_user("auditor")
    report = {m["name"]: m for m in client.get("/assurance", headers=helpers.auth(token)).json()}
    named = report["contracts with a named contract manager"]
    complete = report["contracts of 5,000 or more on the register with every required field"]
    signed = report["contracts signed before they started"]
    # Day one: 23 live contracts, none with a named manager, none complete on the register
    # (22 are of 5,000 or more), each named among the shortfalls by its case reference.
    assert (named["met"], named["of"]) == (0, 23) and len(named["shortfalls"]) == 23
    assert (complete["met"], complete["of"]) == (0, 22)
    # No signing dates were in the file: none is evidenced as signed before it started.
    assert (signed["met"], signed["of"]) == (0, 23)


def generated(path: Path, rows: int) -> Path:
    """A Contracts Finder notices file of `rows` contracts."""
    records = rows_of(LEEDS)
    template = records[1]
    header = records[0]
    reference, value = header.index("Notice ID"), header.index("Award Value")
    out = [header]
    for number in range(rows):
        record = list(template)
        record[reference] = f"generated-{number:06d}"
        record[value] = f"{1000 + number}.50"
        out.append(record)
    return write(path, out)


def test_two_thousand_contracts_import_in_seconds(
    engine: Engine, importer: User, settings: Settings, tmp_path: Path
) -> None:
    path = generated(tmp_path / "big.csv", 2000)
    started = time.perf_counter()
    report = run_import(engine, importer, path, settings)
    took = time.perf_counter() - started
    print(f"\n{engine.dialect.name}: 2,000 contracts imported in {took:.2f} s")
    assert report.count("create") == 2000 and counts(engine)["Case"] == 2000
    assert took < 30, f"2,000 contracts took {took:.1f} s"
    with Session(engine) as session:
        assert not audit_chain.verify(session).altered
        references = session.exec(select(Case.reference).order_by(col(Case.id))).all()
    assert len(set(references)) == 2000


def test_every_table_the_import_writes_exists(engine: Engine) -> None:
    """Guard: the import writes only tables the schema holds."""
    assert {model.__tablename__ for model in WRITTEN} <= set(SQLModel.metadata.tables)
