"""Checking the audit history: every case's chain link by link, and the chains' heads against
each daily anchor; and taking the day's anchor."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from lifecycle.chain import ALTERED_FLAG, Link, first_break, heads_digest
from lifecycle.models import AuditAnchor, AuditEvent, Case
from lifecycle.services.flags import raise_flag

log = logging.getLogger("procure.audit")
# Events are read in pages of this many, so memory stays flat however long the history.
PAGE = 5_000


@dataclass(frozen=True)
class AlteredCase:
    """A case whose history no longer holds, from the first event that breaks."""

    case_id: int | None
    reference: str
    first_bad_event: int


@dataclass
class ChainReport:
    """What a check found."""

    events: int = 0
    chains: int = 0
    altered: list[AlteredCase] = field(default_factory=list)
    # Anchors whose digest the chains as stored no longer give: rewritten since.
    anchors_broken: list[date] = field(default_factory=list)
    anchors_checked: int = 0

    @property
    def intact(self) -> bool:
        """Nothing altered and every anchor holds."""
        return not self.altered and not self.anchors_broken


def _links(session: Session) -> dict[int | None, list[Link]]:
    """Every event as a link, by chain, in id order."""
    chains: dict[int | None, list[Link]] = defaultdict(list)
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.id) > last)
            .order_by(col(AuditEvent.id))
            .limit(PAGE)
        ).all()
        if not rows:
            return chains
        for event in rows:
            assert event.id is not None
            chains[event.case_id].append(
                Link(
                    event.id,
                    event.case_id,
                    event.actor_id,
                    event.at,
                    event.action,
                    event.from_stage,
                    event.to_stage,
                    event.from_status,
                    event.to_status,
                    event.detail,
                    event.prev_hash,
                    event.hash,
                )
            )
        last = rows[-1].id or last
        session.expunge_all()


def _heads_as_of(chains: dict[int | None, list[Link]], last_event_id: int) -> str:
    """The digest of every chain's head as it stood at `last_event_id`."""
    heads = []
    for case_id, links in chains.items():
        before = [link for link in links if link.event_id <= last_event_id]
        if before:
            heads.append((case_id, before[-1].hash or ""))
    return heads_digest(heads)


def verify(session: Session) -> ChainReport:
    """Check every chain, then every anchor against the chains as stored, all from one
    snapshot (on PostgreSQL a REPEATABLE READ transaction, so an event committed while the
    pages are read is never half seen). Give it a read-only session: it takes no lock."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    chains = _links(session)
    references = dict(session.exec(select(Case.id, Case.reference)).all())
    report = ChainReport(events=sum(len(links) for links in chains.values()), chains=len(chains))
    for case_id, links in sorted(chains.items(), key=lambda item: item[0] or 0):
        if (bad := first_break(links)) is not None:
            reference = references.get(case_id, "no case") if case_id else "no case"
            report.altered.append(AlteredCase(case_id, reference, bad))
    for anchor in session.exec(select(AuditAnchor).order_by(col(AuditAnchor.day))):
        report.anchors_checked += 1
        if _heads_as_of(chains, anchor.last_event_id) != anchor.digest:
            report.anchors_broken.append(anchor.day)
    return report


def take_anchor(session: Session, *, day: date) -> AuditAnchor | None:
    """Anchor the chains as they stand (once a day; a second call that day changes nothing),
    and log the digest so a copy of it lives outside the database."""
    if session.exec(select(AuditAnchor).where(AuditAnchor.day == day)).first():
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Wait for events being written to commit, and hold new ones back for this instant:
        # an event given a lower id but committed after the anchor would break it falsely.
        session.execute(text("LOCK TABLE auditevent IN SHARE MODE"))
    last_event_id = session.exec(select(func.max(AuditEvent.id))).one() or 0
    heads = session.exec(
        select(AuditEvent.case_id, AuditEvent.hash).where(
            col(AuditEvent.id).in_(
                select(func.max(AuditEvent.id))
                .where(col(AuditEvent.id) <= last_event_id)
                .group_by(col(AuditEvent.case_id))
            )
        )
    ).all()
    digest = heads_digest((case_id, head or "") for case_id, head in heads)
    anchor = AuditAnchor(day=day, last_event_id=last_event_id, chains=len(heads), digest=digest)
    session.add(anchor)
    log.info(
        "audit anchor %s: %d chains up to event %d, digest %s",
        day,
        len(heads),
        last_event_id,
        digest,
    )
    return anchor


def act_on(session: Session, *, report: ChainReport, day: date) -> None:
    """After the daily check (read from a snapshot, holding no lock): flag each case whose
    history no longer holds (legal and procurement are told), log a rewritten anchor, then
    anchor the day."""
    for altered in report.altered:
        case = session.get(Case, altered.case_id) if altered.case_id else None
        if case is not None:
            raise_flag(
                session,
                case=case,
                code=ALTERED_FLAG,
                message=f"The case's audit history was altered (from event "
                f"{altered.first_bad_event}): it no longer matches its hash chain.",
            )
        else:
            log.error(
                "the history of events about no case was altered from event %d",
                altered.first_bad_event,
            )
    for broken in report.anchors_broken:
        log.error("the audit history no longer matches the anchor of %s: rewritten since", broken)
    take_anchor(session, day=day)
