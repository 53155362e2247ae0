"""Publishing the contract register quarterly: frozen as it stood at the quarter's end, as the
Transparency Code CSV and an OCDS release package, kept for download. Building a quarter reads
only what was published by its end, so building it again gives the same bytes; once published
a quarter is never rewritten."""

import csv
import hashlib
import io
import json
from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session, col, select

from lifecycle import clock, ocds
from lifecycle.calendar import start_of_day
from lifecycle.errors import Conflict, Invalid, NotFound
from lifecycle.models import AuditEvent, RegisterEntry, RegisterQuarter
from lifecycle.ocds_record import release_package
from lifecycle.quarters import Quarter, changes, parse_quarter, status_at
from lifecycle.services import audit
from lifecycle.services import ocds as ocds_service
from lifecycle.services.ocds import CHANGE_ACTIONS
from lifecycle.services.register import CSV_COLUMNS, PUBLIC_STATUSES, csv_header, csv_lines
from lifecycle.settings import Settings


def quarter_from(text: str) -> Quarter:
    """The quarter named, or a refusal."""
    quarter = parse_quarter(text)
    if quarter is None:
        raise Invalid("a quarter is written like 2026-Q4", field="quarter")
    return quarter


def _sha256(text: str) -> str:
    """The SHA-256 of a file's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _frozen_rows(session: Session, quarter: Quarter) -> list[tuple[int, Any]]:
    """The entries on the register at the quarter's end, by reference: published by then, each
    ended only if it had ended by then, its value and end date with later changes undone."""
    end = start_of_day(quarter.last_day + timedelta(days=1))
    entries = session.exec(
        select(RegisterEntry)
        .where(
            col(RegisterEntry.status).in_(PUBLIC_STATUSES),
            col(RegisterEntry.published_at) < end,
        )
        .order_by(col(RegisterEntry.reference), col(RegisterEntry.id))
    ).all()
    later = _changes_since(session, end, [entry.case_id for entry in entries])
    rows = []
    for entry in entries:
        values = {name: getattr(entry, name) for _, name in CSV_COLUMNS}
        value, end_date = ocds.undo(entry.value_pence, entry.end_date, later[entry.case_id])
        values.update(value_pence=value, end_date=end_date)
        ended = entry.ended_on if status_at(entry.ended_on, quarter.last_day) == "ended" else None
        values.update(status=status_at(entry.ended_on, quarter.last_day), ended_on=ended)
        rows.append((entry.case_id, SimpleNamespace(**values)))
    return rows


def _changes_since(
    session: Session, moment: datetime, case_ids: list[int]
) -> dict[int, list[ocds.ChangeFacts]]:
    """The changes applied to these cases' contracts at or after the moment, latest first, by
    case (one query): undone, they give the register as it stood before."""
    rows: dict[int, list[AuditEvent]] = defaultdict(list)
    for row in session.exec(
        select(AuditEvent)
        .where(
            col(AuditEvent.case_id).in_(case_ids),
            col(AuditEvent.action).in_(CHANGE_ACTIONS),
            col(AuditEvent.at) >= moment,
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ):
        rows[row.case_id or 0].append(row)
    found: dict[int, list[ocds.ChangeFacts]] = defaultdict(list)
    for case_id, own in rows.items():
        found[case_id] = list(ocds_service.changes_of(own, {}))
    return found


def build(session: Session, *, quarter: Quarter, settings: Settings) -> tuple[str, str, int]:
    """The quarter's CSV and OCDS release package (empty text when no release is dated by its
    end), and how many entries it holds."""
    rows = _frozen_rows(session, quarter)
    text = csv_header() + csv_lines(row for _, row in rows)
    end = ocds.timestamp(start_of_day(quarter.last_day + timedelta(days=1)))
    releases = [
        release
        for release in ocds_service.case_releases(
            session, settings=settings, case_ids=sorted({case_id for case_id, _ in rows})
        )
        if release["date"] < end
    ]
    package = ""
    if releases:
        uri = f"{settings.base_url}/register/quarters/{quarter.label}/releases.json"
        built = release_package(
            releases, uri=uri, publisher=ocds_service.publisher(settings), published=end
        )
        package = json.dumps(built, ensure_ascii=False, indent=2) + "\n"
    return text, package, len(rows)


def _by_reference(text: str) -> dict[str, dict[str, str]]:
    """A published CSV's rows by reference."""
    return {row["Reference"]: row for row in csv.DictReader(io.StringIO(text))}


def publish(
    session: Session, *, quarter: Quarter, settings: Settings
) -> tuple[RegisterQuarter, bool]:
    """Freeze the register for an ended quarter (once); whether this call published it."""
    existing = find(session, quarter=quarter.label)
    if existing is not None:
        return existing, False
    if quarter.last_day >= clock.today():
        raise Conflict(f"{quarter.label} has not ended: it ends on {quarter.last_day}")
    text, package, entries = build(session, quarter=quarter, settings=settings)
    before = session.exec(
        select(RegisterQuarter)
        .where(col(RegisterQuarter.last_day) < quarter.last_day)
        .order_by(col(RegisterQuarter.last_day).desc())
        .limit(1)
    ).first()
    changed = changes(_by_reference(before.csv_text) if before else {}, _by_reference(text))
    changed["since"] = before.quarter if before else None
    row = RegisterQuarter(
        quarter=quarter.label,
        last_day=quarter.last_day,
        entries=entries,
        csv_text=text,
        csv_sha256=_sha256(text),
        package_json=package,
        package_sha256=_sha256(package) if package else "",
        changes=changed,
    )
    session.add(row)
    audit.record(
        session,
        case=None,
        actor_id=None,
        action="register_quarter_published",
        quarter=quarter.label,
        entries=entries,
        csv_sha256=row.csv_sha256,
    )
    return row, True


def find(session: Session, *, quarter: str) -> RegisterQuarter | None:
    """A published quarter by its label, if published."""
    return session.exec(select(RegisterQuarter).where(RegisterQuarter.quarter == quarter)).first()


def get(session: Session, *, quarter: str) -> RegisterQuarter:
    """A published quarter by its label."""
    row = find(session, quarter=quarter)
    if row is None:
        raise NotFound("that quarter has not been published")
    return row


def list_(session: Session) -> list[RegisterQuarter]:
    """The published quarters, latest first."""
    return list(
        session.exec(select(RegisterQuarter).order_by(col(RegisterQuarter.last_day).desc()))
    )
