"""Open contracting data: a case's OCDS releases and record, read from what the case holds and
its audit history. Public only for cases whose register entry is published (or ended): nothing
of a case shows before then."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from lifecycle import ocds
from lifecycle.calendar import start_of_day
from lifecycle.errors import NotFound
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Document,
    Kpi,
    RegisterEntry,
    Review,
    Variation,
)
from lifecycle.ocds_record import Publisher, record, record_package, release_package
from lifecycle.rules import Route
from lifecycle.services.register import PUBLIC_STATUSES
from lifecycle.settings import Settings

Json = dict[str, Any]
POLICY = "Releases are published for each contract once it is on the published contract register."


def buyer(settings: Settings) -> ocds.Buyer:
    """The council as OCDS buyer."""
    return ocds.Buyer(settings.buyer_name, settings.buyer_scheme, settings.buyer_identifier)


def publisher(settings: Settings) -> Publisher:
    """The council as publisher of the packages."""
    return Publisher(
        name=settings.buyer_name,
        scheme=settings.buyer_scheme,
        uid=settings.buyer_identifier,
        license=settings.ocds_license,
        policy=POLICY,
    )


def _release_event() -> ColumnElement[bool]:
    """The audit events that are release events (ocds.EVENT_ACTIONS), as SQL."""
    plain = [action for action, stage in ocds.EVENT_ACTIONS if stage is None]
    stages = [stage for action, stage in ocds.EVENT_ACTIONS if stage is not None]
    return or_(
        col(AuditEvent.action).in_(plain),
        and_(col(AuditEvent.action) == "stage_entered", col(AuditEvent.to_stage).in_(stages)),
    )


def _public_cases() -> Any:
    """The ids of cases whose register entry is public."""
    return select(RegisterEntry.case_id).where(col(RegisterEntry.status).in_(PUBLIC_STATUSES))


def _supplier(key: int, name: str, number: str | None, sme: bool, vcse: bool) -> ocds.Supplier:
    """A supplier value."""
    return ocds.Supplier(key=key, name=name, registration_number=number, sme=sme, vcse=vcse)


def _grouped(rows: Iterable[Any]) -> dict[int, list[Any]]:
    """Rows by their case id."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row.case_id].append(row)
    return groups


def case_facts(
    session: Session, *, case_ids: list[int], public_only: bool = True
) -> dict[int, ocds.CaseFacts]:
    """The facts of several cases at once: one query per kind of row, whatever their number.
    The register entry counts once published, unless `public_only` is False (notices)."""
    if not case_ids:
        return {}
    ids = col(Case.id).in_(case_ids)
    cases = session.exec(select(Case).where(ids)).all()
    bids = _grouped(
        session.exec(select(Bid).where(col(Bid.case_id).in_(case_ids)).order_by(col(Bid.id)))
    )
    docs = _grouped(
        session.exec(
            select(Document).where(col(Document.case_id).in_(case_ids)).order_by(col(Document.id))
        )
    )
    reviews = _grouped(
        session.exec(
            select(Review).where(col(Review.case_id).in_(case_ids)).order_by(col(Review.id))
        )
    )
    contracts = {
        c.case_id: c
        for c in session.exec(select(Contract).where(col(Contract.case_id).in_(case_ids)))
    }
    entries = {
        e.case_id: e
        for e in session.exec(select(RegisterEntry).where(col(RegisterEntry.case_id).in_(case_ids)))
    }
    events = _grouped(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.case_id).in_(case_ids), _release_event())
            .order_by(col(AuditEvent.id))
        )
    )
    variations = {
        (v.case_id, v.number): v
        for v in session.exec(select(Variation).where(col(Variation.case_id).in_(case_ids)))
    }
    kpi_names = {
        k.id: k.name for k in session.exec(select(Kpi).where(col(Kpi.case_id).in_(case_ids)))
    }
    found: dict[int, ocds.CaseFacts] = {}
    for case in cases:
        assert case.id is not None
        found[case.id] = replace(
            _facts(
                case,
                bids[case.id],
                docs[case.id],
                reviews[case.id],
                contracts.get(case.id),
                entries.get(case.id),
                events[case.id],
                public_only,
            ),
            assessments=tuple(_assessments(events[case.id], kpi_names)),
            changes=tuple(changes_of(events[case.id], variations)),
        )
    return found


# The audit actions of a change applied to a live contract.
CHANGE_ACTIONS = ("variation_applied", "contract_extended")
# The rationale of an extension: the option to extend is a term of the contract.
EXTENSION_RATIONALE = "The contract's option to extend its term was exercised."


def _day(text: Any) -> date | None:
    """A date the audit detail holds as ISO text, if any."""
    return date.fromisoformat(text) if isinstance(text, str) and text else None


def _pence(value: Any) -> int | None:
    """A sum of pence the audit detail holds, if any."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def changes_of(
    rows: Iterable[AuditEvent], variations: dict[tuple[int, int], Variation]
) -> Iterator[ocds.ChangeFacts]:
    """The changes applied to contracts, from their audit events (variation_applied keeps the
    value and end date before and after, contract_extended the end date)."""
    for row in rows:
        if row.action not in CHANGE_ACTIONS:
            continue
        detail = row.detail or {}
        number = detail.get("variation") if row.action == "variation_applied" else None
        found = variations.get((row.case_id or 0, number)) if isinstance(number, int) else None
        change = ocds.ChangeFacts(
            id=row.id or 0,
            at=row.at,
            variation=number if isinstance(number, int) else None,
            rationale=found.why if found else EXTENSION_RATIONALE,
            description="",
            value_before_pence=_pence(detail.get("value_before_pence")),
            value_after_pence=_pence(detail.get("value_after_pence")),
            end_before=_day(detail.get("end_date_before")),
            end_after=_day(detail.get("end_date_after")),
        )
        what = found.what if found else "Contract extended"
        yield replace(change, description=ocds.change_description(what, change))


def _assessments(
    rows: Iterable[AuditEvent], kpi_names: dict[int | None, str]
) -> Iterator[ocds.AssessmentFacts]:
    """The KPI assessments, from their audit events (the rating of each KPI by its id)."""
    for row in rows:
        if row.action != "kpis_assessed":
            continue
        detail = row.detail or {}
        ratings = detail.get("ratings") or {}
        end = _day(detail.get("period_end"))
        if end is None or not isinstance(ratings, dict):
            continue
        ordered = sorted(ratings.items(), key=lambda pair: int(pair[0]))
        # Each KPI as it was called when assessed (events before names were kept: as now).
        kept: dict[str, str] = detail.get("names") or {}
        names: dict[int | None, str] = {**kpi_names, **{int(k): str(v) for k, v in kept.items()}}
        yield ocds.AssessmentFacts(
            id=row.id or 0,
            period_end=end,
            ratings=tuple(str(rating) for _, rating in ordered),
            lines=tuple(
                f"{names.get(int(kpi), f'KPI {kpi}')}: {str(rating).replace('_', ' ')}"
                for kpi, rating in ordered
            ),
            at=row.at,
        )


def _facts(
    case: Case,
    bids: list[Bid],
    docs: list[Document],
    reviews: list[Review],
    contract: Contract | None,
    entry: RegisterEntry | None,
    events: list[AuditEvent],
    public_only: bool,
) -> ocds.CaseFacts:
    """One case's facts from its rows."""
    winner = next((b for b in bids if b.id == case.awarded_bid_id), None)
    register = None
    if entry is not None and (entry.status in PUBLIC_STATUSES or not public_only):
        supplier = None
        if winner is not None and winner.id is not None and entry.supplier_name:
            number = entry.supplier_registration_number
            supplier = _supplier(winner.id, entry.supplier_name, number, entry.sme, entry.vcse)
        register = ocds.RegisterFacts(
            supplier=supplier,
            start_date=entry.start_date,
            end_date=entry.end_date,
            value_pence=entry.value_pence,
        )
    return ocds.CaseFacts(
        ocid=case.ocid,
        title=case.title,
        description=case.description,
        category=case.category,
        route=Route(case.route),
        estimated_value_pence=case.estimated_value_pence,
        award_rationale=case.award_rationale,
        awarded_bid_id=case.awarded_bid_id,
        bids=tuple(
            ocds.BidFacts(
                id=b.id or 0,
                supplier=_supplier(
                    b.id or 0, b.supplier_name, b.registration_number, b.sme, b.vcse
                ),
                price_pence=b.price_pence,
                created_at=b.created_at,
            )
            for b in bids
        ),
        documents=tuple(
            ocds.DocumentFacts(d.id or 0, d.document_type, d.title, d.content_type, d.uploaded_at)
            for d in docs
        ),
        reviews=tuple(
            ocds.ReviewFacts(
                id=r.id or 0,
                period_start=r.period_start,
                period_end=r.period_end,
                rag=r.rag,
                kpis=ocds.kpi_lines(r.kpis or []),
                submitted_at=r.submitted_at,
            )
            for r in reviews
        ),
        contract=ocds.ContractFacts(
            start_date=contract.start_date,
            end_date=contract.end_date,
            signed_on=_signed_on(contract),
            ended_on=contract.ended_on,
            exit_reason=contract.exit_reason,
        )
        if contract is not None
        else None,
        register=register,
        events=tuple(
            event
            for row in events
            if (
                event := ocds.event_of(
                    row.id or 0, row.at, row.action, row.to_stage, row.detail or {}
                )
            )
        ),
    )


def _signed_on(contract: Contract) -> date | None:
    """When the contract was signed by both parties (the later signature), if known."""
    signatures = [d for d in (contract.supplier_signed_on, contract.council_signed_on) if d]
    return max(signatures) if len(signatures) == 2 else None


def _window(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Release dates from `since` to `until` inclusive, as UK days."""
    bounds: list[ColumnElement[bool]] = []
    if since is not None:
        bounds.append(col(AuditEvent.at) >= start_of_day(since))
    if until is not None:
        bounds.append(col(AuditEvent.at) < start_of_day(until + timedelta(days=1)))
    return bounds


def release_page(
    session: Session,
    *,
    settings: Settings,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Json], int]:
    """One page of the published releases, oldest first, and how many there are in all."""
    conditions = [
        col(AuditEvent.case_id).in_(_public_cases()),
        _release_event(),
        *_window(since, until),
    ]
    total = session.exec(select(func.count(col(AuditEvent.id))).where(*conditions)).one()
    rows = session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
        .offset(offset)
        .limit(limit)
    ).all()
    facts = case_facts(session, case_ids=sorted({row.case_id for row in rows if row.case_id}))
    council = buyer(settings)
    page: list[Json] = []
    for row in rows:
        event = ocds.event_of(row.id or 0, row.at, row.action, row.to_stage, row.detail or {})
        if event is not None and row.case_id is not None:
            page.append(ocds.release(facts[row.case_id], council, event))
    return page, total


def releases_package(
    session: Session,
    *,
    settings: Settings,
    uri: str,
    since: date | None = None,
    until: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Json, int]:
    """A release package of one page of published releases, and the total; NotFound when no
    published release matches (a package holds at least one)."""
    page, total = release_page(
        session, settings=settings, since=since, until=until, limit=limit, offset=offset
    )
    if not page:
        raise NotFound("no published release matches")
    return release_package(page, uri=uri, publisher=publisher(settings)), total


def record_for(session: Session, *, settings: Settings, ocid: str, uri: str) -> Json:
    """The record package of one published contracting process."""
    case_id = session.exec(
        select(Case.id).where(Case.ocid == ocid, col(Case.id).in_(_public_cases()))
    ).first()
    if case_id is None:
        raise NotFound("no published contracting process has this ocid")
    facts = case_facts(session, case_ids=[case_id])[case_id]
    built = ocds.releases(facts, buyer(settings))
    if not built:  # e.g. a contract imported from an earlier register: no event to publish yet
        raise NotFound("no published contracting process has this ocid")
    return record_package([record(built)], uri=uri, publisher=publisher(settings))


def case_releases(session: Session, *, settings: Settings, case_ids: list[int]) -> list[Json]:
    """Every release of the given cases (published or not: callers decide), in the order of
    their events, as the public feed gives them."""
    council = buyer(settings)
    events = [
        (event, facts)
        for facts in case_facts(session, case_ids=case_ids).values()
        for event in facts.events
    ]
    events.sort(key=lambda pair: (pair[0].at, pair[0].id))
    return [ocds.release(facts, council, event) for event, facts in events]
