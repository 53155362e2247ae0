"""Checking the audit history: every case's chain link by link, and the chains' heads against
each daily anchor; and taking the day's anchor."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select as sa_select
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


# The columns a link is made of, read as plain rows (no ORM objects: a long history reads
# several times faster).
_LINK_COLUMNS = (
    col(AuditEvent.id),
    col(AuditEvent.case_id),
    col(AuditEvent.actor_id),
    col(AuditEvent.at),
    col(AuditEvent.action),
    col(AuditEvent.from_stage),
    col(AuditEvent.to_stage),
    col(AuditEvent.from_status),
    col(AuditEvent.to_status),
    col(AuditEvent.detail),
    col(AuditEvent.prev_hash),
    col(AuditEvent.hash),
)


def _links(session: Session) -> tuple[dict[int | None, list[Link]], list[Link]]:
    """Every event as a link, by chain in id order, and all of them in id order."""
    chains: dict[int | None, list[Link]] = defaultdict(list)
    in_order: list[Link] = []
    last = 0
    while True:
        rows = session.execute(
            sa_select(*_LINK_COLUMNS)
            .where(col(AuditEvent.id) > last)
            .order_by(col(AuditEvent.id))
            .limit(PAGE)
        ).all()
        if not rows:
            return chains, in_order
        for row in rows:
            link = Link(*row)
            chains[link.case_id].append(link)
            in_order.append(link)
        last = rows[-1][0]


def _broken_anchors(session: Session, in_order: list[Link]) -> tuple[int, list[date]]:
    """Each anchor against the chains' heads as they stood at it, in one pass over the events
    (oldest anchor first). Returns how many were checked, and the days that no longer match."""
    heads: dict[int | None, str] = {}
    position, checked, broken = 0, 0, []
    for anchor in session.exec(select(AuditAnchor).order_by(col(AuditAnchor.last_event_id))):
        while position < len(in_order) and in_order[position].event_id <= anchor.last_event_id:
            link = in_order[position]
            heads[link.case_id] = link.hash or ""
            position += 1
        checked += 1
        if heads_digest(heads.items()) != anchor.digest:
            broken.append(anchor.day)
    return checked, sorted(broken)


def verify(session: Session) -> ChainReport:
    """Check every chain, then every anchor against the chains as stored, all from one
    snapshot (on PostgreSQL a REPEATABLE READ transaction, so an event committed while the
    pages are read is never half seen). Give it a read-only session: it takes no lock."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    chains, in_order = _links(session)
    references = dict(session.exec(select(Case.id, Case.reference)).all())
    report = ChainReport(events=len(in_order), chains=len(chains))
    for case_id, links in sorted(chains.items(), key=lambda item: item[0] or 0):
        if (bad := first_break(links)) is not None:
            reference = references.get(case_id, "no case") if case_id else "no case"
            report.altered.append(AlteredCase(case_id, reference, bad))
    report.anchors_checked, report.anchors_broken = _broken_anchors(session, in_order)
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
