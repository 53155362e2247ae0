"""A case's audit events as a hash chain: each event's hash covers what it says and the hash of
the event before it, so an edited, removed or inserted event breaks every link after it. The
daily anchor is a digest of every chain's head, so a history rewritten with fresh hashes no
longer matches the anchor taken before. Pure: plain values in, digests out."""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The flag the daily check raises on a case whose history no longer holds.
ALTERED_FLAG = "history_altered"


@dataclass(frozen=True, slots=True)
class Link:
    """What one audit event says, as the chain covers it."""

    event_id: int
    case_id: int | None
    actor_id: int | None
    at: datetime
    action: str
    from_stage: str | None
    to_stage: str | None
    from_status: str | None
    to_status: str | None
    detail: Mapping[str, Any]
    prev_hash: str | None
    hash: str | None


def genesis(case_id: int | None) -> str:
    """Where a case's chain starts (events about no case share one chain of their own)."""
    name = f"procure:case:{case_id}" if case_id is not None else "procure:no-case"
    return hashlib.sha256(name.encode()).hexdigest()


def _instant(at: datetime) -> str:
    """A timestamp as every database gives it back: UTC, to the microsecond."""
    if at.tzinfo is None:  # SQLite returns UTC without its zone
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    prev_hash: str,
    *,
    case_id: int | None,
    actor_id: int | None,
    at: datetime,
    action: str,
    from_stage: str | None,
    to_stage: str | None,
    from_status: str | None,
    to_status: str | None,
    detail: Mapping[str, Any],
) -> str:
    """The SHA-256 of an event's content and the hash before it, over a canonical JSON."""
    content = {
        "prev": prev_hash,
        "case_id": case_id,
        "actor_id": actor_id,
        "at": _instant(at),
        "action": action,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "from_status": from_status,
        "to_status": to_status,
        "detail": detail,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_hash(link: Link, prev_hash: str) -> str:
    """The hash `link` should carry after `prev_hash`."""
    return event_hash(
        prev_hash,
        case_id=link.case_id,
        actor_id=link.actor_id,
        at=link.at,
        action=link.action,
        from_stage=link.from_stage,
        to_stage=link.to_stage,
        from_status=link.from_status,
        to_status=link.to_status,
        detail=link.detail,
    )


def first_break(links: Sequence[Link]) -> int | None:
    """The id of the first event of one chain (in id order) that does not hold: its content
    changed, or the event before it is not the one it was chained to. None: intact."""
    expected = genesis(links[0].case_id) if links else ""
    for link in links:
        if link.prev_hash != expected or link.hash != link_hash(link, expected):
            return link.event_id
        expected = link.hash
    return None


def heads_digest(heads: Iterable[tuple[int | None, str]]) -> str:
    """One digest of every chain's head (case id and last hash), whatever their order."""
    lines = sorted(f"{case_id}:{head}" for case_id, head in heads)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
