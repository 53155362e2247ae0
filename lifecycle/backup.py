"""Back-up and restore of the database and the document repository together, as one archive:
every table's rows as JSON lines (read in one transaction, so they agree with each other), the
document files the rows name, and a manifest with the schema revision and a SHA-256 of every
member. JSON rather than a database's own dump, so a back-up from PostgreSQL restores into
SQLite and the other way round, and a back-up from an older release restores into a newer one
(loaded at its own revision, then migrated)."""

import hashlib
import io
import json
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from lifecycle.db import reading
from lifecycle.errors import Conflict, Invalid
from lifecycle.models import utcnow
from lifecycle.schema import current_revision, migrate
from lifecycle.settings import Settings

FORMAT = "procure-backup/1"
MANIFEST = "manifest.json"
# What a back-up holds: its tables (by their names in the schema) and documents (by SHA-256).
MEMBER_NAME = re.compile(r"tables/[a-z_]{1,63}\.jsonl|documents/[0-9a-f]{64}")
# Rows are read and written in batches of this many, so a large table never sits in memory.
BATCH = 2_000


@dataclass(frozen=True)
class BackupSummary:
    """What an archive holds."""

    revision: str
    rows: dict[str, int]
    documents: int


def _plain(value: Any) -> Any:
    """A column value as JSON: timestamps as ISO text in UTC (every timestamp procure keeps is
    UTC; SQLite gives them back without their zone), dates as ISO text."""
    if isinstance(value, datetime):
        aware = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _typed(column: sa.Column[Any], value: Any) -> Any:
    """A JSON value back in its column's type."""
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    return value


def _tables(connection: Connection) -> list[sa.Table]:
    """The database's tables as they stand, parents before children."""
    reflected = sa.MetaData()
    reflected.reflect(connection)
    return [table for table in reflected.sorted_tables if table.name != "alembic_version"]


def _lines(connection: Connection, table: sa.Table) -> Iterator[bytes]:
    """The table's rows as JSON lines, in primary-key order, a batch at a time."""
    order = list(table.primary_key.columns) or list(table.columns)
    offset = 0
    while True:
        rows = connection.execute(
            sa.select(table).order_by(*order).limit(BATCH).offset(offset)
        ).mappings()
        batch = [json.dumps({k: _plain(v) for k, v in row.items()}) for row in rows]
        if not batch:
            return
        yield ("\n".join(batch) + "\n").encode()
        offset += BATCH


def _add(archive: tarfile.TarFile, name: str, data: bytes, digests: dict[str, str]) -> None:
    """One member, with its digest noted for the manifest."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(utcnow().timestamp())
    archive.addfile(info, io.BytesIO(data))
    digests[name] = hashlib.sha256(data).hexdigest()


def back_up(engine: Engine, settings: Settings, target: Path) -> BackupSummary:
    """Write the archive to `target` (a new file): the rows as one consistent snapshot, then
    the document files they name (stored once by SHA-256, so never changed after writing)."""
    digests: dict[str, str] = {}
    counts: dict[str, int] = {}
    blobs: set[str] = set()
    partial = target.with_name(target.name + ".partial")
    # A read-only transaction: on SQLite a WAL snapshot, so writers go on during the back-up.
    with tarfile.open(partial, "w:gz") as archive, reading(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        revision = current_revision(connection)
        if revision is None:
            raise Conflict("the database has no schema yet: there is nothing to back up")
        for table in _tables(connection):
            data = b"".join(_lines(connection, table))
            counts[table.name] = data.count(b"\n")
            _add(archive, f"tables/{table.name}.jsonl", data, digests)
            if table.name == "document":
                blobs = {json.loads(line)["sha256"] for line in data.splitlines()}
        for sha256 in sorted(blobs):
            blob = settings.documents_dir / sha256[:2] / sha256
            _add(archive, f"documents/{sha256}", blob.read_bytes(), digests)
        manifest = {
            "format": FORMAT,
            "taken_at": utcnow().isoformat(),
            "revision": revision,
            "rows": counts,
            "members": digests,
        }
        _add(archive, MANIFEST, json.dumps(manifest, indent=1).encode(), {})
    partial.replace(target)
    return BackupSummary(revision, counts, len(blobs))


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    """The manifest, checked to be one of ours."""
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member else None
    except (KeyError, json.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("the file is not a procure back-up", field="file")
    return manifest


def _member(archive: tarfile.TarFile, name: str, manifest: dict[str, Any]) -> bytes:
    """A member's bytes, checked against the manifest's digest. Only the names a back-up
    writes are read: a crafted name cannot reach outside the data folder."""
    if not MEMBER_NAME.fullmatch(name):
        raise Invalid("the back-up names a member it could not have written", field="file")
    handle = archive.extractfile(name)
    data = handle.read() if handle else b""
    if hashlib.sha256(data).hexdigest() != manifest["members"].get(name):
        raise Invalid(f"the back-up is damaged: {name} does not match its digest", field="file")
    if name.startswith("documents/") and hashlib.sha256(data).hexdigest() != name[10:]:
        raise Invalid(f"the back-up is damaged: {name} is not the document it names", field="file")
    return data


def _require_empty(engine: Engine, revision: str) -> None:
    """Restore only into a database with no rows: none at all, or a schema at the back-up's
    own revision with every table empty."""
    with engine.connect() as connection:
        present = current_revision(connection)
        tables = _tables(connection)
        if present is not None and present != revision:
            raise Conflict(
                f"the database already has a schema (revision {present}) other than the "
                f"back-up's ({revision}): restore into an empty data folder or database"
            )
        for table in tables:
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar():
                raise Conflict("the database is not empty: restore into an empty one")


def restore(engine: Engine, settings: Settings, source: Path) -> BackupSummary:
    """Restore `source` into an empty database and data folder: every member is checked first,
    then the rows are loaded at the back-up's schema revision in one transaction and the
    schema is brought up to date; the document files go in under their SHA-256."""
    with tarfile.open(source, "r:gz") as archive:
        manifest = _read_manifest(archive)
        members = {name: _member(archive, name, manifest) for name in manifest["members"]}
    _require_empty(engine, manifest["revision"])
    migrate(engine, manifest["revision"])
    with engine.begin() as connection:
        for table in _tables(connection):
            data = members.get(f"tables/{table.name}.jsonl", b"")
            rows = [json.loads(line) for line in data.splitlines()]
            columns = {column.name: column for column in table.columns}
            for start in range(0, len(rows), BATCH):
                batch = [
                    {name: _typed(columns[name], value) for name, value in row.items()}
                    for row in rows[start : start + BATCH]
                ]
                connection.execute(table.insert(), batch)
            if connection.dialect.name == "postgresql" and "id" in columns and rows:
                # The next id continues after the restored ones.
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table.name}"))'
                    )
                )
    documents = [name for name in members if name.startswith("documents/")]
    for name in documents:
        sha256 = name.removeprefix("documents/")
        target = settings.documents_dir / sha256[:2] / sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            out.write(members[name])
        Path(out.name).replace(target)
    migrate(engine)
    return BackupSummary(manifest["revision"], manifest["rows"], len(documents))
