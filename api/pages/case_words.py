"""How a case reads to a person: stages, statuses, decisions, OCDS document types and the
audit timeline in words rather than codes."""

import csv
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from api.pages.formatting import long_date, money, words
from api.pages.forms import plain
from api.views import EventView
from lifecycle.codelists import document_types
from lifecycle.rules import ROUTE_LABELS, Decision, GateKind, Route, Stage
from lifecycle.services.gates import GATE_LABELS

STAGES = {
    Stage.PURCHASE_REQUEST: "Purchase request",
    Stage.LEGAL_CONSULTATION: "Early legal consultation",
    Stage.PROCUREMENT: "Procurement",
    Stage.SIGNING: "Signing",
    Stage.REGISTER_ENTRY: "Register entry",
    Stage.MONITORING: "Monitoring",
    Stage.EXIT: "Exit",
}
# The word a choice is offered as, and the word it is reported as once made.
DECISIONS = {
    Decision.APPROVE: ("Approve", "approved"),
    Decision.REQUEST_CHANGES: ("Request changes", "changes requested"),
    Decision.REJECT: ("Reject", "rejected"),
}
RATINGS = {
    "good": "Good",
    "approaching_target": "Approaching target",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}
EXIT_REASONS = {
    "expired": "The contract expired",
    "terminated": "The contract was terminated",
    "not_renewed": "The contract was not renewed",
}
REGISTER_STATUSES = {
    "draft": "Draft",
    "submitted": "Sent for verification",
    "verified": "Verified",
    "published": "Published",
    "ended": "Ended",
}


def stage(value: str | None) -> str:
    """A stage's name."""
    return STAGES.get(Stage(value), words(value)) if value else ""


def gate(kind: str) -> str:
    """A gate's name, capitalised: 'Early legal consultation'."""
    return words(GATE_LABELS[GateKind(kind)])


def decided(decision: str | None) -> str:
    """What a decision was: 'approved'."""
    return DECISIONS[Decision(decision)][1] if decision else ""


def route(value: str) -> str:
    """A route in words."""
    return words(ROUTE_LABELS[Route(value)])


@cache
def document_type_titles() -> dict[str, str]:
    """The OCDS document types the repository accepts, code to title, in the codelist's order."""
    with files("lifecycle.codelists").joinpath("documentType.csv").open(encoding="utf-8") as f:
        titles = {row["Code"]: row["Title"] for row in csv.DictReader(f)}
    return {code: title for code, title in titles.items() if code in document_types()}


def document_type(code: str) -> str:
    """An OCDS document type's title."""
    return document_type_titles().get(code, code)


# Codes that services put in their messages, as the page says them.
MESSAGE_WORDS = {
    **{kind.value: label for kind, label in GATE_LABELS.items()},
    **{each.value: label.lower() for each, label in STAGES.items()},
    **{each.value: DECISIONS[each][0].lower() for each in Decision},
    **{code: f"‘{title}’" for code, title in document_type_titles().items()},
    "contract_manager role": "contract manager role",
}


def say(message: str) -> str:
    """A service's message with its codes in words."""
    return plain(message, MESSAGE_WORDS)


def event(entry: EventView) -> str:
    """One audit event as a sentence; an event whose details are not as expected (written by
    an older version, say) is named by its action instead."""
    try:
        return _sentence(entry)
    except (KeyError, ValueError, TypeError):
        return words(entry.action)


def _sentence(entry: EventView) -> str:
    """The sentence for one kind of audit event."""
    detail: dict[str, Any] = entry.detail
    match entry.action:
        case "case_created":
            return f"Raised the purchase request ({ROUTE_LABELS[Route(detail['route'])]})"
        case "gate_opened":
            due = long_date_of(detail.get("due_on"))
            return f"Opened the {gate(detail['gate']).lower()} decision, due {due}"
        case "gate_decided":
            reason = f": “{detail['reason']}”" if detail.get("reason") else ""
            behalf = (
                f" (on behalf of {detail['on_behalf_of_name']}, by delegation)"
                if detail.get("on_behalf_of_name")
                else ""
            )
            return f"{gate(detail['gate'])}: {decided(detail['decision'])}{behalf}{reason}"
        case "stage_entered":
            return f"Moved to {stage(entry.to_stage).lower()}"
        case "changes_requested":
            return "Asked for changes"
        case "resubmitted":
            return "Sent the changes back for a decision"
        case "request_changed":
            return "Changed the purchase request: " + ", ".join(
                words(name).lower() for name in detail.get("after", {})
            )
        case "bid_recorded":
            return f"Recorded a bid from {detail['supplier']} ({money(detail['price_pence'])})"
        case "award_recommended":
            return f"Recommended the award to {detail['supplier']}"
        case "award_approved":
            return "Award approved: waiting for the award notice to be published"
        case "standstill_started":
            return (
                f"Award notice published on {long_date_of(detail['published_on'])}: the "
                f"standstill period runs to {long_date_of(detail['last_day'])}"
            )
        case "document_uploaded":
            return f"Uploaded a document ({document_type(detail['document_type'])})"
        case "contract_recorded":
            return (
                f"Recorded the contract: {long_date_of(detail['start_date'])} to "
                f"{long_date_of(detail['end_date'])}"
            )
        case "signing_ready":
            return "Sent the signed contract for legal's confirmation"
        case "contract_imported":
            return (
                f"Imported from an existing register (row {detail['row']}, "
                f"source reference {detail['source_reference']})"
            )
        case "import_updated":
            return "Updated from the register file: " + ", ".join(
                words(name).lower() for name in detail.get("after", {})
            )
        case "contract_manager_named":
            return "Named the contract manager"
        case "contract_handed_over":
            old, new = detail["from_manager"], detail["to_manager"]
            return f"Handed the contract over from {old} to {new}"
        case "register_details_updated":
            return "Updated the register entry: " + ", ".join(
                words(name).lower() for name in detail.get("fields", [])
            )
        case "register_submitted":
            return "Sent the register entry for verification"
        case "register_published":
            return "Published the contract on the register"
        case "register_ended":
            return "Marked the contract ended on the register"
        case "review_scheduled":
            return f"Scheduled the next performance review for {long_date_of(detail['due_on'])}"
        case "review_submitted":
            return f"Submitted a performance review (rated {detail['rag']})"
        case "kpi_set":
            return f"Set a KPI: {detail['name']}"
        case "kpi_changed":
            changed = "; ".join(
                f"{words(field).lower()} from “{before}” to “{after}”"
                for field, (before, after) in detail.get("changes", {}).items()
            )
            return f"Changed the KPI {detail['name']}: {changed}. Why: {detail['reason']}"
        case "fewer_kpis_reason_recorded":
            return "Recorded why the contract sets fewer than 3 KPIs"
        case "assessment_scheduled":
            return f"Scheduled the KPI assessment for {long_date_of(detail['due_on'])}"
        case "kpis_assessed":
            return f"Assessed the KPIs up to {long_date_of(detail['period_end'])}"
        case (
            "variation_proposed"
            | "variation_decided"
            | "variation_applied"
            | "variation_rejected"
            | "extension_option_recorded"
            | "expiry_decided"
            | "contract_extended"
            | "reprocurement_opened"
            | "contract_terminated"
            | "termination_notice_published"
        ):
            return contract_end_words(entry.action, detail)
        case "exit_started":
            return f"Started exit: {EXIT_REASONS.get(detail['reason'], detail['reason']).lower()}"
        case "lesson_recorded":
            return "Recorded a lesson learned"
        case "case_flagged":
            return f"Flagged the case: {detail.get('message', '')}"
        case "case_closed":
            return f"Closed the case ({detail.get('outcome', '')})"
    return words(entry.action)


def long_date_of(value: object) -> str:
    """An ISO date string from an audit event, the British way."""
    try:
        return long_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def size(count: int) -> str:
    """A file's size as people read it: 812 bytes, 14.2 KB, 3.1 MB."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


@cache
def document_type_options() -> tuple[tuple[str, str], ...]:
    """The document type select's options: a prompt, then each type with its code."""
    return (("", "Choose a document type"),) + tuple(
        (code, f"{title} ({code})") for code, title in document_type_titles().items()
    )


def contract_end_words(action: str, detail: dict[str, Any]) -> str:
    """A live contract's variations, expiry decision and termination, as the history says them."""
    number = detail.get("variation")
    match action:
        case "variation_proposed":
            return f"Proposed variation {number}: {detail.get('what', '')}"
        case "variation_decided":
            verb = "Approved" if detail.get("decision") == "approve" else "Rejected"
            behalf = (
                f", on behalf of {detail['on_behalf_of_name']} by delegation"
                if detail.get("on_behalf_of_name")
                else ""
            )
            return f"{verb} variation {number} ({detail.get('role', '')}{behalf})"
        case "variation_applied":
            return (
                f"Variation {number} applied: value {money(detail.get('value_before_pence'))} "
                f"to {money(detail.get('value_after_pence'))}, end date "
                f"{long_date_of(detail.get('end_date_before'))} to "
                f"{long_date_of(detail.get('end_date_after'))}"
            )
        case "variation_rejected":
            return f"Variation {number} rejected: the contract is unchanged"
        case "extension_option_recorded":
            until = long_date_of(detail.get("extension_until"))
            return f"Recorded the extension option: up to {until}"
        case "expiry_decided":
            return {
                "extend": "Decided to extend the contract",
                "reprocure": "Decided to re-procure the contract (a new linked case)",
                "end": f"Decided to let the contract end on {long_date_of(detail.get('end_date'))}",
            }.get(str(detail.get("decision")), "Decided about the contract's end")
        case "contract_extended":
            return (
                f"Extended the contract from {long_date_of(detail.get('end_date_before'))} to "
                f"{long_date_of(detail.get('end_date_after'))}"
            )
        case "reprocurement_opened":
            return f"Opened to re-procure the contract of {detail.get('previous_reference', '')}"
        case "contract_terminated":
            return (
                f"Terminated the contract on {long_date_of(detail.get('terminated_on'))}: "
                f"{detail.get('reason', '')}"
            )
    return (
        f"Recorded the termination notice {detail.get('notice_id', '')}, published on "
        f"{long_date_of(detail.get('published_on'))}"
    )
