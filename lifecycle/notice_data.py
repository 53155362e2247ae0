"""Each Procurement Act notice's data as an OCDS release in the shape Find a Tender publishes
(its OCDS API, https://www.find-tender.service.gov.uk/api/1.0/ocdsReleasePackages, OCDS 1.1 with
the Cabinet Office's UK extension, https://github.com/cabinetoffice/ocds_uk_extension): the
Procurement Act as `tender.legalBasis` (scheme UKPGA, id 2023/54), values incl. VAT also as
`amountGross`, each published notice as a document with its `noticeType` (UK4 under tender,
UK6 and UK7 under the award, later ones under the contract) linking to its page on Find a
Tender, and a terminated contract's `implementation.endDate`, `finalValue` and
`terminationRationaleClassification`. Pure; and what a notice lacks is listed by field."""

from datetime import date, datetime
from typing import Any

from lifecycle import ocds
from lifecycle.notices import NAMES, NoticeDue, NoticeType

Json = dict[str, Any]
FIND_A_TENDER = "https://www.find-tender.service.gov.uk/Notice/"
LEGAL_BASIS = {
    "id": "2023/54",
    "scheme": "UKPGA",
    "uri": "https://www.legislation.gov.uk/ukpga/2023/54/contents",
}
# The notice's own document type: the core codelist's where it has one, else the UK
# extension's (+documentType.csv: implementationNotice, contractTerminationNotice).
DOCUMENT_TYPE = {
    NoticeType.UK4: "tenderNotice",
    NoticeType.UK6: "awardNotice",
    NoticeType.UK7: "contractNotice",
    NoticeType.UK9: "implementationNotice",
    NoticeType.UK10: "contractNotice",
    NoticeType.UK11: "contractTerminationNotice",
}
UK_DOCUMENT_TYPES = ("implementationNotice", "contractTerminationNotice")
TAGS = {
    NoticeType.UK4: ["tender"],
    NoticeType.UK6: ["award"],
    NoticeType.UK7: ["award", "contract"],
    NoticeType.UK9: ["implementation"],
    NoticeType.UK10: ["contractAmendment"],
    NoticeType.UK11: ["contractTermination"],
}
# What each notice must carry before it can be marked ready, as paths in its release.
REQUIRED: dict[NoticeType, tuple[str, ...]] = {
    NoticeType.UK4: (
        "buyer.identifier.id",
        "tender.title",
        "tender.description",
        "tender.value.amount",
        "tender.mainProcurementCategory",
        "tender.procurementMethod",
    ),
    NoticeType.UK6: (
        "buyer.identifier.id",
        "awards.0.suppliers.0.id",
        "supplier.identifier.id",
        "awards.0.value.amount",
        "awards.0.date",
        "tender.numberOfTenderers",
    ),
    NoticeType.UK7: (
        "buyer.identifier.id",
        "supplier.identifier.id",
        "contracts.0.dateSigned",
        "contracts.0.period.startDate",
        "contracts.0.period.endDate",
        "contracts.0.value.amount",
    ),
    NoticeType.UK9: (
        "contracts.0.implementation.milestones.0.status",
        "contracts.0.implementation.milestones.0.description",
    ),
    NoticeType.UK10: ("contracts.0.amendments.0.date", "contracts.0.amendments.0.description"),
    NoticeType.UK11: (
        "contracts.0.implementation.endDate",
        "contracts.0.implementation.finalValue.amountGross",
    ),
}
# procure's exit reasons that Find a Tender's termination classification names.
COMPLETED = ("expired", "not_renewed")


def _event(notice: NoticeDue, case: ocds.CaseFacts, now: datetime) -> ocds.Event | None:
    """The release event whose sections a notice carries, as of `now`."""
    kinds = {
        NoticeType.UK4: ocds.EventKind.TENDER,
        NoticeType.UK6: ocds.EventKind.AWARD_IN_FORCE,
        NoticeType.UK7: ocds.EventKind.CONTRACT,
        NoticeType.UK11: ocds.EventKind.TERMINATION,
    }
    if notice.type in kinds:
        return ocds.Event(0, now, kinds[notice.type])
    if notice.type is NoticeType.UK9:
        _, _, nth = notice.key.partition("-")
        number = int(nth or 1)
        review = case.reviews[number - 1] if number <= len(case.reviews) else None
        return ocds.Event(0, now, ocds.EventKind.REVIEW, ref=review.id if review else None)
    return None


def _gross(node: Any) -> None:
    """Every value also as amountGross: procure's figures include VAT."""
    if isinstance(node, dict):
        if node.get("currency") == "GBP" and "amount" in node:
            node["amountGross"] = node["amount"]
        for value in node.values():
            _gross(value)
    elif isinstance(node, list):
        for value in node:
            _gross(value)


def _notice_document(notice: NoticeDue, identifier: str, published_on: date) -> Json:
    """The published notice, as Find a Tender lists it."""
    return {
        "id": identifier,
        "documentType": DOCUMENT_TYPE[notice.type],
        "noticeType": notice.type.value,
        "description": f"{NAMES[notice.type]} on Find a Tender",
        "url": f"{FIND_A_TENDER}{identifier}",
        "datePublished": ocds.day(published_on),
        "format": "text/html",
    }


def _attach(body: Json, notice: NoticeDue, document: Json) -> None:
    """Put the notice's document where Find a Tender puts that notice type."""
    if notice.type is NoticeType.UK4:
        body.setdefault("tender", {}).setdefault("documents", []).append(document)
    elif notice.type in (NoticeType.UK6, NoticeType.UK7) and body.get("awards"):
        body["awards"][0].setdefault("documents", []).append(document)
    elif body.get("contracts"):
        body["contracts"][0].setdefault("documents", []).append(document)


def _termination(body: Json, case: ocds.CaseFacts) -> None:
    """The contract's end as Find a Tender's UK11 gives it."""
    contract = body["contracts"][0]
    facts = case.contract
    if facts is None or facts.ended_on is None:
        return
    implementation: Json = {"endDate": ocds.day(facts.ended_on)}
    value = case.register.value_pence if case.register else None
    if value is not None:
        implementation["finalValue"] = ocds.money(value)
    contract["implementation"] = implementation
    if facts.exit_reason in COMPLETED:
        contract["terminationRationaleClassification"] = {"id": "contractCompleted"}


def notice_release(
    notice: NoticeDue,
    case: ocds.CaseFacts,
    buyer: ocds.Buyer,
    now: datetime,
    published: tuple[str, date] | None = None,
    change: tuple[date, str] | None = None,
) -> Json:
    """The notice's data as a release; `published` is (identifier, day) once it is, and a
    contract change notice takes the change (approved on, what changes)."""
    event = _event(notice, case, now)
    body = ocds.release(case, buyer, event or ocds.Event(0, now, ocds.EventKind.REGISTER))
    if notice.type is NoticeType.UK7:
        body["awards"] = ocds.release(
            case, buyer, ocds.Event(0, now, ocds.EventKind.AWARD_IN_FORCE)
        ).get("awards", [])
    if notice.type is NoticeType.UK10:
        contract: Json = {"id": f"{case.ocid}-contract-1", "awardID": f"{case.ocid}-award-1"}
        if change is not None:
            contract["amendments"] = [
                {"id": notice.key, "date": ocds.day(change[0]), "description": change[1]}
            ]
        body["contracts"] = [contract]
    if notice.type is NoticeType.UK11:
        _termination(body, case)
    body["id"] = published[0] if published else f"{case.ocid}-{notice.key}"
    body["tag"] = TAGS[notice.type]
    body.setdefault("tender", {"id": f"{case.ocid}-tender", "title": case.title})
    body["tender"]["legalBasis"] = dict(LEGAL_BASIS)
    _gross(body)
    if published:
        _attach(body, notice, _notice_document(notice, *published))
    return body


def _find(release: Json, path: str) -> Any:
    """The value at a dotted path; `buyer`/`supplier` are those parties; None when absent."""
    first, _, rest = path.partition(".")
    roles = {"buyer": "buyer", "supplier": "supplier"}
    node: Any = release
    if first in roles:
        node = next((p for p in release.get("parties", []) if roles[first] in p["roles"]), None)
        parts = rest.split(".")
    else:
        parts = path.split(".")
    for part in parts:
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def missing(notice: NoticeDue, release: Json) -> list[str]:
    """The fields the notice needs that its release lacks."""
    return [path for path in REQUIRED[notice.type] if _find(release, path) in (None, "", [])]
