"""`procure backup` and `procure restore`: the database and the document repository together,
restored into an empty data folder (and across databases) with every case, document and audit
chain read back; a damaged or foreign file, or a database that is not empty, is refused and
nothing is written."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from api.app import create_app
from api.deps import get_session, sessions_on
from lifecycle import backup
from lifecycle.db import make_engine
from lifecycle.errors import Conflict, Invalid
from lifecycle.models import Document
from lifecycle.schema import migrate
from lifecycle.services import audit_chain, documents, users
from lifecycle.settings import Settings, get_settings
from tests.api.test_case_lifecycle import PDF, upload

ROOT = Path(__file__).resolve().parents[2]


def rows_by_table(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, comparable across databases."""
    found = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(sa.select(table)).mappings().all()
            found[table.name] = sorted(
                (
                    {
                        key: value.astimezone(UTC) if isinstance(value, datetime) else value
                        for key, value in row.items()
                    }
                    for row in rows
                ),
                key=repr,
            )
    return found


@pytest.fixture
def filled(
    client: TestClient, engine: Engine, make_user: Any, helpers: Any, run_flows: Any
) -> list[int]:
    """Cases at their legal gate, with documents and a lesson."""
    _, token = make_user("requester")
    ids = []
    for title in ("Laptops", "Grounds maintenance", "Library books"):
        response = client.post(
            "/cases", json=helpers.purchase_request(title=title), headers=helpers.auth(token)
        )
        ids.append(response.json()["id"])
    run_flows()
    for case_id in ids:
        body = PDF + f"% case {case_id}".encode()
        assert upload(client, case_id, token, "tenderNotice", body).status_code == 201
    lesson = {"text": "Ask for three quotes early", "case_id": ids[0]}
    assert client.post("/lessons", json=lesson, headers=helpers.auth(token)).status_code == 201
    return ids


def fresh_folder(tmp_path: Path, name: str) -> tuple[Engine, Settings]:
    """An empty data folder with its SQLite database, not yet created."""
    settings = Settings(data_dir=tmp_path / name)
    settings.data_dir.mkdir(parents=True)
    return make_engine(settings.sqlalchemy_url), settings


def test_a_backup_restores_into_an_empty_data_folder(
    filled: list[int],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    make_user: Any,
    helpers: Any,
) -> None:
    _, auditor = make_user("auditor")  # taken into the back-up with everything else
    migrate_to_head_marker(engine)
    archive = tmp_path / "procure.backup"
    summary = backup.back_up(engine, settings, archive)
    assert summary.rows["case"] == 3 and summary.documents == 3

    restored, restored_settings = fresh_folder(tmp_path, "restored")
    backup.restore(restored, restored_settings, archive)
    assert rows_by_table(restored) == rows_by_table(engine)

    with Session(restored) as session:
        assert audit_chain.verify(session).intact
        assert documents.verify_repository(session, settings=restored_settings) == []
        blobs = session.exec(select(Document.sha256)).all()
    assert len(blobs) == 3

    # The restored product reads every case and document back over the API.
    app = create_app()
    app.dependency_overrides[get_session] = partial(sessions_on, restored)
    app.dependency_overrides[get_settings] = lambda: restored_settings
    with TestClient(app) as reader:
        for case_id in filled:
            detail = reader.get(f"/cases/{case_id}", headers=helpers.auth(auditor)).json()
            assert detail["stage"] == "legal_consultation" and len(detail["timeline"]) >= 3
            document = detail["documents"][0]
            body = reader.get(
                f"/cases/{case_id}/documents/{document['id']}", headers=helpers.auth(auditor)
            )
            assert body.status_code == 200 and body.content.startswith(b"%PDF-")


def migrate_to_head_marker(engine: Engine) -> None:
    """The test database is made from the models; mark it as at the newest revision, as the
    product's own databases are."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from lifecycle.schema import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with engine.begin() as connection:
        MigrationContext.configure(connection).stamp(ScriptDirectory(str(MIGRATIONS)), head)


def test_a_damaged_or_foreign_file_and_a_full_database_are_refused(
    filled: list[int], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    migrate_to_head_marker(engine)
    archive = tmp_path / "procure.backup"
    backup.back_up(engine, settings, archive)

    # A member changed after the back-up was taken.
    damaged = tmp_path / "damaged.backup"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(damaged, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "tables/case.jsonl":
                data = data.replace(b"Laptops", b"Tablets")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    target, target_settings = fresh_folder(tmp_path, "target")
    with pytest.raises(Invalid, match="damaged: tables/case.jsonl"):
        backup.restore(target, target_settings, damaged)
    # A member named to reach outside the data folder is refused before anything is written.
    crafted = tmp_path / "crafted.backup"
    evil = b"* * * * * root touch /tmp/owned\n"
    manifest = {
        "format": backup.FORMAT,
        "revision": "0001",
        "rows": {},
        "members": {"documents//etc/cron.d/x": hashlib.sha256(evil).hexdigest()},
    }
    with tarfile.open(crafted, "w:gz") as out:
        for name, data in (
            ("documents//etc/cron.d/x", evil),
            (backup.MANIFEST, json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    with pytest.raises(Invalid, match="could not have written"):
        backup.restore(target, target_settings, crafted)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz"):
        pass
    with pytest.raises(Invalid, match="not a procure back-up"):
        backup.restore(target, target_settings, foreign)
    with target.connect() as connection:  # nothing was written
        assert sa.inspect(connection).get_table_names() == []

    # The original database is not empty: restoring over it is refused.
    with pytest.raises(Conflict, match="not empty"):
        backup.restore(engine, settings, archive)


def procure(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `procure` command in its own process, on a data folder."""
    env = {**os.environ, "PROCURE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("PROCURE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_restore_a_data_folder_into_an_empty_one(tmp_path: Path, helpers: Any) -> None:
    source = Settings(data_dir=tmp_path / "source")
    source.data_dir.mkdir()
    engine = make_engine(source.sqlalchemy_url)
    migrate(engine)
    with Session(engine) as session:
        _, token = users.create(
            session, name="Rita Requester", email="rita@council.example", roles=["requester"]
        )
        session.commit()
    app = create_app()
    app.dependency_overrides[get_session] = partial(sessions_on, engine)
    app.dependency_overrides[get_settings] = lambda: source
    with TestClient(app) as client:
        case_id = client.post(
            "/cases", json=helpers.purchase_request(), headers=helpers.auth(token)
        ).json()["id"]
        assert upload(client, case_id, token, "tenderNotice").status_code == 201
    engine.dispose()

    archive = tmp_path / "council.backup"
    made = procure(source.data_dir, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "1 documents" in made.stdout
    again = procure(source.data_dir, "backup", str(archive))
    assert again.returncode == 2 and "already exists" in again.stderr

    restored = tmp_path / "restored"
    done = procure(restored, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert procure(restored, "audit", "verify").returncode == 0
    assert procure(restored, "documents", "verify").returncode == 0
    assert "rita@council.example" in procure(restored, "users", "list").stdout
    twice = procure(restored, "restore", str(archive))
    assert twice.returncode == 2 and "not empty" in twice.stderr
