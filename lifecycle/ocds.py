"""OCDS 1.1 releases from a case, one per event the standard names: planning, tender, award,
contract, the published register entry (contractUpdate), each review and KPI assessment
(implementation), each change to the live contract (contractAmendment) and the contract's end
(contractTermination). Pure: plain values in, JSON-ready dicts out.

A release shows the case as it stood at its event (bids, documents and reviews of that moment;
the contract's value and end date with every later change undone), so rebuilding it later gives
the same release. A new kind of event plugs in as an entry in EVENT_ACTIONS and one in SECTIONS."""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from lifecycle.codelists import document_sections
from lifecycle.rules import PROCUREMENT_PROCESS, Route, Stage, needs_standstill

Json = dict[str, Any]

# How each route procures, as the OCDS method codelist names it: a single quote is a direct
# award, written quotes ask suppliers of the council's choosing, advertised routes are open.
METHOD: dict[Route, str] = {
    Route.LOW_VALUE: "direct",
    Route.QUOTES: "limited",
    Route.BELOW_THRESHOLD: "open",
    Route.ABOVE_THRESHOLD: "open",
}

# A review's RAG rating as a milestone status (milestoneStatus codelist).
RAG_STATUS = {"green": "met", "amber": "partiallyMet", "red": "notMet"}

# Companies House numbers are eight characters (01234567, SC123456); a charity's (England and
# Wales) is six or seven digits. The org-id.guide schemes for each.
_COMPANY_NUMBER = re.compile(r"^[A-Z0-9]{8}$")


class EventKind(StrEnum):
    """The events that make a release, with their releaseTag."""

    PLANNING = "planning"
    TENDER = "tender"
    AWARD = "award"
    # The award in force: after the standstill an update of the award, else the award itself.
    AWARD_IN_FORCE = "awardUpdate"
    CONTRACT = "contract"
    REGISTER = "contractUpdate"
    REVIEW = "implementation"
    # A KPI assessment is tagged implementation too (see TAGS); its own value keeps it apart.
    ASSESSMENT = "kpiAssessment"
    AMENDMENT = "contractAmendment"
    TERMINATION = "contractTermination"


# Kinds whose releaseTag is not their value.
TAGS = {EventKind.ASSESSMENT: "implementation"}


@dataclass(frozen=True)
class Buyer:
    """The council, as configured (PROCURE_BUYER_*)."""

    name: str
    scheme: str
    identifier: str

    @property
    def party_id(self) -> str:
        """The buyer's party id: its org-id once configured."""
        return f"{self.scheme}-{self.identifier}" if self.identifier else "buyer"


@dataclass(frozen=True)
class Supplier:
    """A supplier as a bid or the register gives it."""

    key: int  # the bid it came from: one party id however its details change
    name: str
    registration_number: str | None
    sme: bool
    vcse: bool


@dataclass(frozen=True)
class BidFacts:
    """A bid or quote."""

    id: int
    supplier: Supplier
    price_pence: int
    created_at: datetime


@dataclass(frozen=True)
class DocumentFacts:
    """A document in the central repository."""

    id: int
    document_type: str
    title: str
    content_type: str
    uploaded_at: datetime


@dataclass(frozen=True)
class ReviewFacts:
    """A performance review."""

    id: int
    period_start: date
    period_end: date
    rag: str
    kpis: tuple[str, ...]  # "name: result against target (rating)"
    submitted_at: datetime


@dataclass(frozen=True)
class AssessmentFacts:
    """A KPI assessment of a period (s.71), keyed by its audit event."""

    id: int
    period_end: date
    ratings: tuple[str, ...]  # the codes of the Procurement Act ratings, one per KPI
    lines: tuple[str, ...]  # "KPI name: rating"
    at: datetime


@dataclass(frozen=True)
class ChangeFacts:
    """A change applied to the live contract (an approved variation or an extension), as its
    audit event recorded it, keyed by that event; None where it did not change that field."""

    id: int
    at: datetime
    variation: int | None  # the variation's number; None for an extension
    rationale: str
    description: str
    value_before_pence: int | None
    value_after_pence: int | None
    end_before: date | None
    end_after: date | None


@dataclass(frozen=True)
class ContractFacts:
    """The signed contract."""

    start_date: date
    end_date: date
    signed_on: date | None
    ended_on: date | None
    exit_reason: str | None


@dataclass(frozen=True)
class RegisterFacts:
    """The published register entry: what the manager and procurement confirmed."""

    supplier: Supplier | None
    start_date: date | None
    end_date: date | None
    value_pence: int


@dataclass(frozen=True)
class Event:
    """Something that happened to a case that the standard names; `ref` picks the review."""

    id: int
    at: datetime
    kind: EventKind
    ref: int | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything a case's releases are built from."""

    ocid: str
    title: str
    description: str
    category: str
    route: Route
    estimated_value_pence: int
    award_rationale: str | None
    awarded_bid_id: int | None
    bids: tuple[BidFacts, ...] = ()
    documents: tuple[DocumentFacts, ...] = ()
    reviews: tuple[ReviewFacts, ...] = ()
    contract: ContractFacts | None = None
    register: RegisterFacts | None = None
    events: tuple[Event, ...] = field(default=())
    assessments: tuple[AssessmentFacts, ...] = ()
    changes: tuple[ChangeFacts, ...] = ()


# Audit actions that are release events: (action, the stage entered or None) to the kind.
EVENT_ACTIONS: dict[tuple[str, str | None], EventKind] = {
    ("case_created", None): EventKind.PLANNING,
    ("stage_entered", Stage.PROCUREMENT.value): EventKind.TENDER,
    # Approved with a standstill to run (above threshold): the award, pending until it ends.
    ("award_approved", None): EventKind.AWARD,
    ("stage_entered", Stage.SIGNING.value): EventKind.AWARD_IN_FORCE,
    # Signing confirmed is the case entering the register stage.
    ("stage_entered", Stage.REGISTER_ENTRY.value): EventKind.CONTRACT,
    ("register_published", None): EventKind.REGISTER,
    ("review_submitted", None): EventKind.REVIEW,
    ("kpis_assessed", None): EventKind.ASSESSMENT,
    ("variation_applied", None): EventKind.AMENDMENT,
    ("contract_extended", None): EventKind.AMENDMENT,
    ("exit_started", None): EventKind.TERMINATION,
}


def event_of(
    event_id: int, at: datetime, action: str, to_stage: str | None, detail: dict[str, Any]
) -> Event | None:
    """The release event an audit event is, or None when it is none."""
    kind = EVENT_ACTIONS.get((action, to_stage if action == "stage_entered" else None))
    if kind is None:
        return None
    ref = detail.get("review_id") if kind is EventKind.REVIEW else None
    if kind in (EventKind.ASSESSMENT, EventKind.AMENDMENT):
        ref = event_id  # their facts are read from the event itself
    return Event(id=event_id, at=at, kind=kind, ref=ref if isinstance(ref, int) else None)


def pounds(pence: int) -> float:
    """Pence as a number of pounds. Exact: a correctly rounded division, printed shortest, gives
    the two-decimal figure for every value under 10**15 pence (tested)."""
    return pence / 100


def money(pence: int) -> Json:
    """An OCDS Value in pounds sterling."""
    return {"amount": pounds(pence), "currency": "GBP"}


def timestamp(moment: datetime) -> str:
    """An OCDS date-time: UTC, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(value: date) -> str:
    """A date as an OCDS date-time at the start of that day (UTC)."""
    return f"{value.isoformat()}T00:00:00Z"


def supplier_party_id(ocid: str, supplier: Supplier) -> str:
    """A supplier's party id within the record: stable while its details are corrected."""
    return f"{ocid}-supplier-{supplier.key}"


def identifier(supplier: Supplier) -> Json | None:
    """A supplier's registration number as an org-id identifier, when it has one."""
    number = (supplier.registration_number or "").strip().upper()
    if not number:
        return None
    scheme = "GB-COH" if _COMPANY_NUMBER.match(number) or not supplier.vcse else "GB-CHC"
    return {"scheme": scheme, "id": number, "legalName": supplier.name}


def supplier_party(ocid: str, supplier: Supplier, roles: Sequence[str]) -> Json:
    """A supplier as an OCDS party, with its scale (the UK profile's sme/large) and VCSE flag."""
    party: Json = {
        "id": supplier_party_id(ocid, supplier),
        "name": supplier.name,
        "roles": list(roles),
        "details": {"scale": "sme" if supplier.sme else "large", "vcse": supplier.vcse},
    }
    if found := identifier(supplier):
        party["identifier"] = found
    return party


def buyer_party(buyer: Buyer) -> Json:
    """The council as the buyer and procuring entity (its identifier once configured)."""
    party: Json = {"id": buyer.party_id, "name": buyer.name, "roles": ["buyer", "procuringEntity"]}
    if buyer.identifier:
        party["identifier"] = {
            "scheme": buyer.scheme,
            "id": buyer.identifier,
            "legalName": buyer.name,
        }
    return party


def _section(document_type: str) -> str:
    """Where a document goes in a release: the latest stage its codelist entry names before
    implementation (procure keeps contract papers), else implementation; bids count as tender."""
    sections = [
        s.replace("bidder", "tender").replace("bid", "tender")
        for s in document_sections(document_type)
    ]
    before = [s for s in sections if s != "implementation"]
    order = ("planning", "tender", "award", "contract")
    if before:
        return max(before, key=lambda s: order.index(s) if s in order else 1)
    return "implementation" if sections else "tender"


def documents(case: CaseFacts, at: datetime, section: str) -> list[Json]:
    """The case's documents of one release section held by `at`."""
    return [
        {
            "id": f"{case.ocid}-document-{d.id}",
            "documentType": d.document_type,
            "title": d.title,
            "format": d.content_type,
            "datePublished": timestamp(d.uploaded_at),
        }
        for d in case.documents
        if d.uploaded_at <= at and _section(d.document_type) == section
    ]


def _bids_by(case: CaseFacts, at: datetime) -> list[BidFacts]:
    """The bids recorded by `at`."""
    return [bid for bid in case.bids if bid.created_at <= at]


def _awarded(case: CaseFacts) -> BidFacts | None:
    """The awarded bid, once there is one."""
    return next((bid for bid in case.bids if bid.id == case.awarded_bid_id), None)


def _tender(case: CaseFacts, event: Event, status: str) -> Json:
    """The tender section."""
    tender: Json = {
        "id": f"{case.ocid}-tender",
        "title": case.title,
        "description": case.description,
        "status": status,
        "procurementMethod": METHOD[case.route],
        "procurementMethodDetails": PROCUREMENT_PROCESS[case.route],
        "value": money(case.estimated_value_pence),
    }
    if case.category:  # a contract imported from an earlier register may not say
        tender["mainProcurementCategory"] = case.category
    if found := documents(case, event.at, "tender"):
        tender["documents"] = found
    return tender


def _planning(case: CaseFacts, event: Event) -> Json:
    """The request: a budget and a tender being planned."""
    planning: Json = {
        "budget": {
            "description": "Estimated whole-life value",
            "amount": money(case.estimated_value_pence),
        },
    }
    if found := documents(case, event.at, "planning"):
        planning["documents"] = found
    return {"planning": planning, "tender": _tender(case, event, "planning")}


def _tendering(case: CaseFacts, event: Event) -> Json:
    """Procurement opened."""
    return {"tender": _tender(case, event, "active")}


def _award(case: CaseFacts, event: Event) -> Json:
    """The award approved: who bid, who won, for how much."""
    bids = _bids_by(case, event.at)
    tender = _tender(case, event, "complete")
    tender["tenderers"] = [
        {"id": supplier_party_id(case.ocid, b.supplier), "name": b.supplier.name} for b in bids
    ]
    tender["numberOfTenderers"] = len(bids)
    section: Json = {"tender": tender}
    winner = _awarded(case)
    if winner is not None:
        pending = event.kind is EventKind.AWARD and needs_standstill(case.route)
        award: Json = {
            "id": f"{case.ocid}-award-1",
            "title": case.title,
            "status": "pending" if pending else "active",
            "date": timestamp(event.at),
            "value": money(winner.price_pence),
            "suppliers": [
                {"id": supplier_party_id(case.ocid, winner.supplier), "name": winner.supplier.name}
            ],
        }
        if case.award_rationale:
            award["description"] = case.award_rationale
        if found := documents(case, event.at, "award"):
            award["documents"] = found
        section["awards"] = [award]
    return section


def _contract_base(case: CaseFacts) -> Json:
    """The fields every contract section carries."""
    return {"id": f"{case.ocid}-contract-1", "awardID": f"{case.ocid}-award-1"}


def _contract(case: CaseFacts, event: Event) -> Json:
    """The contract signed and confirmed."""
    contract = _contract_base(case)
    facts = case.contract
    winner = _awarded(case)
    contract["title"] = case.title
    if facts is not None:
        started = facts.start_date <= event.at.date()
        contract["status"] = "active" if started else "pending"
        _, end = as_at(case, event, None, facts.end_date)
        contract["period"] = {
            "startDate": day(facts.start_date),
            "endDate": day(end or facts.end_date),
        }
        if facts.signed_on is not None:
            contract["dateSigned"] = day(facts.signed_on)
    if winner is not None:
        contract["value"] = money(winner.price_pence)
    if found := documents(case, event.at, "contract"):
        contract["documents"] = found
    return {"contracts": [contract]}


def _register(case: CaseFacts, event: Event) -> Json:
    """The register entry published: the contract's details as verified for the register."""
    contract = _contract_base(case)
    entry = case.register
    if entry is not None:
        value, end = as_at(case, event, entry.value_pence, entry.end_date)
        if value is not None:
            contract["value"] = money(value)
        if entry.start_date and end:
            contract["period"] = {"startDate": day(entry.start_date), "endDate": day(end)}
    if found := documents(case, event.at, "contract"):
        contract["documents"] = found
    return {"contracts": [contract]}


def _after(case: CaseFacts, event: Event) -> list[ChangeFacts]:
    """The changes applied after the event, latest first."""
    later = [c for c in case.changes if (c.at, c.id) > (event.at, event.id)]
    return sorted(later, key=lambda c: (c.at, c.id), reverse=True)


def undo(
    value: int | None, end: date | None, later: Iterable[ChangeFacts]
) -> tuple[int | None, date | None]:
    """A value and end date as they stood before the given changes (latest first): each undone
    in turn, so the earliest's before-values are what remain."""
    for change in later:
        if change.value_before_pence is not None:
            value = change.value_before_pence
        if change.end_before is not None:
            end = change.end_before
    return value, end


def as_at(
    case: CaseFacts, event: Event, value: int | None, end: date | None
) -> tuple[int | None, date | None]:
    """The contract's value and end date at the event, from today's: later changes undone."""
    return undo(value, end, _after(case, event))


def _release_id(case: CaseFacts, event: Event) -> str:
    """A release's id."""
    return f"{case.ocid}-{event.id}"


def _amendment(case: CaseFacts, change: ChangeFacts) -> Json:
    """One change as an OCDS Amendment; amendsReleaseID names the release just before it,
    which shows the value and end date as they were."""
    own = Event(id=change.id, at=change.at, kind=EventKind.AMENDMENT)
    before = [e for e in case.events if (e.at, e.id) < (own.at, own.id)]
    amendment: Json = {
        "id": f"{case.ocid}-amendment-{change.id}",
        "date": timestamp(change.at),
        "rationale": change.rationale,
        "description": change.description,
        "releaseID": _release_id(case, own),
    }
    if before:
        amendment["amendsReleaseID"] = _release_id(case, max(before, key=lambda e: (e.at, e.id)))
    return amendment


def change_description(what: str, change: ChangeFacts) -> str:
    """What changed, with the value and end date before and after."""
    parts = [what.strip().rstrip(".")] if what.strip() else []
    before, after = change.value_before_pence, change.value_after_pence
    if before is not None and after is not None and before != after:
        parts.append(f"value £{pounds(before):,.2f} to £{pounds(after):,.2f}")
    if change.end_before and change.end_after and change.end_before != change.end_after:
        parts.append(f"end date {change.end_before} to {change.end_after}")
    return "; ".join(parts) + "." if parts else "Contract changed."


def _amended(case: CaseFacts, event: Event) -> Json:
    """A change to the live contract: its value and period after the change, and the
    amendments made by then."""
    contract = _contract_base(case)
    entry, facts = case.register, case.contract
    value, end = as_at(
        case,
        event,
        entry.value_pence if entry else None,
        entry.end_date if entry and entry.end_date else (facts.end_date if facts else None),
    )
    start = (
        entry.start_date if entry and entry.start_date else (facts.start_date if facts else None)
    )
    if value is not None:
        contract["value"] = money(value)
    if start and end:
        contract["period"] = {"startDate": day(start), "endDate": day(end)}
    made = sorted(
        (c for c in case.changes if (c.at, c.id) <= (event.at, event.id)),
        key=lambda c: (c.at, c.id),
    )
    if made:
        contract["amendments"] = [_amendment(case, c) for c in made]
    return {"contracts": [contract]}


def _review(case: CaseFacts, event: Event) -> Json:
    """A performance review, as an assessment milestone of the implementation."""
    contract = _contract_base(case)
    implementation: Json = {}
    review = next((r for r in case.reviews if r.id == event.ref), None)
    if review is not None:
        milestone: Json = {
            "id": f"review-{review.id}",
            "title": f"Performance review {review.period_start} to {review.period_end}",
            "type": "assessment",
            "status": RAG_STATUS.get(review.rag, "partiallyMet"),
            "dueDate": day(review.period_end),
            "dateMet": timestamp(review.submitted_at),
        }
        if review.kpis:
            milestone["description"] = "; ".join(review.kpis)
        implementation["milestones"] = [milestone]
    if found := documents(case, event.at, "implementation"):
        implementation["documents"] = found
    contract["implementation"] = implementation
    return {"contracts": [contract]}


# An assessment's milestone status: met when every KPI is rated good, not met when any is
# inadequate, else partly met.
def _assessment_status(ratings: Sequence[str]) -> str:
    """The milestoneStatus code of an assessment's ratings."""
    if ratings and all(r == "good" for r in ratings):
        return "met"
    return "notMet" if "inadequate" in ratings else "partiallyMet"


def _assessed(case: CaseFacts, event: Event) -> Json:
    """A KPI assessment, as an assessment milestone of the implementation."""
    contract = _contract_base(case)
    implementation: Json = {}
    found = next((a for a in case.assessments if a.id == event.ref), None)
    if found is not None:
        milestone: Json = {
            "id": f"kpi-assessment-{found.id}",
            "title": f"KPI assessment to {found.period_end}",
            "type": "assessment",
            "status": _assessment_status(found.ratings),
            "dueDate": day(found.period_end),
            "dateMet": timestamp(found.at),
        }
        if found.lines:
            milestone["description"] = "; ".join(found.lines)
        implementation["milestones"] = [milestone]
    contract["implementation"] = implementation
    return {"contracts": [contract]}


def _termination(case: CaseFacts, event: Event) -> Json:
    """The contract ended (expired, terminated or not renewed): status terminated, and the
    period's end the day it ended."""
    contract = _contract_base(case)
    contract["status"] = "terminated"
    facts = case.contract
    if facts is not None and facts.ended_on is not None:
        contract["period"] = {"startDate": day(facts.start_date), "endDate": day(facts.ended_on)}
        contract["description"] = (
            f"Contract ended ({(facts.exit_reason or 'ended').replace('_', ' ')})"
        )
    return {"contracts": [contract]}


SECTIONS: dict[EventKind, Callable[[CaseFacts, Event], Json]] = {
    EventKind.PLANNING: _planning,
    EventKind.TENDER: _tendering,
    EventKind.AWARD: _award,
    EventKind.AWARD_IN_FORCE: _award,
    EventKind.CONTRACT: _contract,
    EventKind.REGISTER: _register,
    EventKind.REVIEW: _review,
    EventKind.ASSESSMENT: _assessed,
    EventKind.AMENDMENT: _amended,
    EventKind.TERMINATION: _termination,
}


# Releases that show the awarded supplier as its bid gave it; later ones use the register's.
BID_DETAILS = (EventKind.AWARD, EventKind.AWARD_IN_FORCE, EventKind.CONTRACT)


def _parties(case: CaseFacts, buyer: Buyer, event: Event) -> list[Json]:
    """The buyer and the suppliers known at the event: the register's details for the awarded
    supplier once the entry is published, the bid's before."""
    parties = [buyer_party(buyer)]
    if event.kind in (EventKind.PLANNING, EventKind.TENDER):
        return parties
    winner = _awarded(case)
    for bid in _bids_by(case, event.at):
        won = winner is not None and bid.id == winner.id
        supplier = bid.supplier
        registered = case.register.supplier if case.register else None
        if won and registered is not None and event.kind not in BID_DETAILS:
            supplier = registered
        roles = ["tenderer", "supplier"] if won else ["tenderer"]
        parties.append(supplier_party(case.ocid, supplier, roles))
    return parties


def tag(case: CaseFacts, event: Event) -> str:
    """The release's tag: its kind's, except that an award coming into force with no
    standstill before it is the award itself."""
    if event.kind is EventKind.AWARD_IN_FORCE and not needs_standstill(case.route):
        return EventKind.AWARD.value
    return TAGS.get(event.kind, event.kind.value)


def release(case: CaseFacts, buyer: Buyer, event: Event) -> Json:
    """The release for one event of the case."""
    body: Json = {
        "ocid": case.ocid,
        "id": _release_id(case, event),
        "date": timestamp(event.at),
        "tag": [tag(case, event)],
        "initiationType": "tender",
        "language": "en",
        "parties": _parties(case, buyer, event),
        "buyer": {"id": buyer.party_id, "name": buyer.name},
    }
    body.update(SECTIONS[event.kind](case, event))
    return body


def releases(case: CaseFacts, buyer: Buyer) -> list[Json]:
    """Every release of the case, oldest first."""
    ordered = sorted(case.events, key=lambda e: (e.at, e.id))
    return [release(case, buyer, event) for event in ordered]


def kpi_line(kpi: dict[str, Any]) -> str:
    """One KPI result in words."""
    return (
        f"{kpi.get('name')}: {kpi.get('result')} against {kpi.get('target')} ({kpi.get('rating')})"
    )


def kpi_lines(kpis: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    """A review's KPI results in words."""
    return tuple(kpi_line(kpi) for kpi in kpis)
