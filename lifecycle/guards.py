"""Who may act on a case, and when: the guard behind each service. Pure, like the rules:
`..._refusal` says why this person may not (the service raises Forbidden), `..._conflict` why
not now (Conflict); '' when they may. The case page asks the same functions through
`lifecycle/actions.py`, so it never offers what a service would refuse."""

from collections.abc import Sequence
from datetime import date

from lifecycle.rules import MIN_BIDS, Role, Route, Stage, Status, needs_standstill

MANAGER_NAMING_STAGES = (Stage.SIGNING, Stage.REGISTER_ENTRY, Stage.MONITORING)


def stage_conflict(reference: str, stage: Stage, status: Status, *allowed: Stage) -> str:
    """Why an action belonging to the `allowed` stages cannot be taken on this case now."""
    if status is Status.CLOSED:
        return f"case {reference} is closed"
    if stage not in allowed:
        needed = " or ".join(each.value for each in allowed)
        return f"case {reference} is in {stage.value}; this needs {needed}"
    return ""


def request_change_refusal(user_id: int | None, requester_id: int) -> str:
    """Only the requester changes their purchase request."""
    return "" if user_id == requester_id else "only the requester can change a purchase request"


def request_change_conflict(stage: Stage, status: Status) -> str:
    """A request is changed only while legal's request for changes is open."""
    if stage is Stage.LEGAL_CONSULTATION and status is Status.CHANGES_REQUESTED:
        return ""
    return "a purchase request can be changed only when legal has asked for changes"


def resubmit_refusal(
    user_id: int | None, roles: Sequence[Role], requester_id: int, manager_id: int | None
) -> str:
    """The requester, the named contract manager, or procurement answer a request for changes."""
    if user_id in (requester_id, manager_id) or Role.PROCUREMENT in roles:
        return ""
    return "only the requester, the contract manager or procurement can resubmit"


def resubmit_conflict(reference: str, status: Status) -> str:
    """Only a case sent back for changes has changes to answer."""
    if status is Status.CHANGES_REQUESTED:
        return ""
    return f"case {reference} has no request for changes to answer"


def manager_naming_refusal(user_id: int | None, roles: Sequence[Role], requester_id: int) -> str:
    """The requester or procurement name the contract manager."""
    if user_id == requester_id or Role.PROCUREMENT in roles:
        return ""
    return "only the requester or procurement can name the contract manager"


def manager_naming_conflict(reference: str, stage: Stage, status: Status) -> str:
    """The manager is named from signing on, while the case is open."""
    return stage_conflict(reference, stage, status, *MANAGER_NAMING_STAGES)


def procurement_refusal(roles: Sequence[Role]) -> str:
    """Only the procurement team runs a procurement."""
    return "" if Role.PROCUREMENT in roles else "only the procurement role can do this"


def open_award_conflict(reference: str, stage: Stage, status: Status, award_approved: bool) -> str:
    """Bids and recommendations are for a procurement whose award is not yet approved."""
    if conflict := stage_conflict(reference, stage, status, Stage.PROCUREMENT):
        return conflict
    if award_approved:
        return f"the award on {reference} is already approved"
    if status is Status.AWAITING_DECISION:
        return f"case {reference} is waiting on the award decision"
    return ""


def bids_conflict(route: Route, recorded: int) -> str:
    """An award is recommended once the route's written quotes are in."""
    needed = MIN_BIDS[route]
    if recorded >= needed:
        return ""
    return (
        f"the {route.value} route needs {needed} written quotes before an award is "
        f"recommended; {recorded} recorded"
    )


def award_notice_conflict(
    reference: str,
    stage: Stage,
    status: Status,
    route: Route,
    award_approved: bool,
    published_on: date | None,
) -> str:
    """The award notice is recorded once, after an above-threshold award is approved."""
    if conflict := stage_conflict(reference, stage, status, Stage.PROCUREMENT):
        return conflict
    if not award_approved:
        return "the award must be approved before its notice is published"
    if not needs_standstill(route):
        return "only above-threshold awards publish a notice with a standstill"
    if published_on is not None:
        return f"the award notice was already recorded as published on {published_on}"
    return ""


def contract_recording_refusal(roles: Sequence[Role]) -> str:
    """Legal or procurement record the signed contract."""
    if Role.LEGAL in roles or Role.PROCUREMENT in roles:
        return ""
    return "only legal or procurement record the signed contract"


def contract_recording_conflict(
    reference: str, stage: Stage, status: Status, signed_contract_held: bool
) -> str:
    """The contract's dates are recorded in signing, once the signed copy is held."""
    if conflict := stage_conflict(reference, stage, status, Stage.SIGNING):
        return conflict
    if status is Status.AWAITING_DECISION:
        return f"case {reference} is waiting on legal's signing confirmation"
    if not signed_contract_held:
        return "upload the signed contract (document type contractSigned) first"
    return ""


def register_editor_refusal(
    user_id: int | None, roles: Sequence[Role], manager_id: int | None
) -> str:
    """The named contract manager completes the register entry (procurement may help)."""
    if user_id == manager_id or Role.PROCUREMENT in roles:
        return ""
    return "only the case's contract manager or procurement edit its register entry"


def register_edit_conflict(reference: str, stage: Stage, status: Status) -> str:
    """The entry is edited in register entry, except while procurement verifies it."""
    if conflict := stage_conflict(reference, stage, status, Stage.REGISTER_ENTRY):
        return conflict
    if status is Status.AWAITING_DECISION:
        return "the entry is waiting on procurement's verification"
    return ""


def register_submit_conflict(
    reference: str, stage: Stage, status: Status, manager_named: bool
) -> str:
    """The entry goes for verification once, with its contract manager named."""
    if conflict := stage_conflict(reference, stage, status, Stage.REGISTER_ENTRY):
        return conflict
    if status is Status.AWAITING_DECISION:
        return "the entry is already waiting on procurement's verification"
    if not manager_named:
        return "name a contract manager first"
    return ""


def review_refusal(user_id: int | None, manager_id: int | None) -> str:
    """Performance reviews come from the case's contract manager."""
    if user_id == manager_id:
        return ""
    return "only the case's contract manager submits its performance reviews"


def exit_refusal(user_id: int | None, roles: Sequence[Role], manager_id: int | None) -> str:
    """The contract manager or procurement start the exit."""
    if user_id == manager_id or Role.PROCUREMENT in roles:
        return ""
    return "only the contract manager or procurement start the exit"


def exit_date_problem(ended_on: date, start_date: date, today: date, reason: str) -> str:
    """A contract has ended by the day its exit is recorded (else the public register shows an
    ended contract with an end date still to come), and not before it started, unless it was
    terminated before it began."""
    if ended_on < start_date and reason != "terminated":
        return "ended_on must not be before the contract start date unless it was terminated"
    if ended_on > today:
        return "ended_on must not be in the future: record the exit once the contract has ended"
    return ""


def monitoring_conflict(
    reference: str, stage: Stage, status: Status, contract_recorded: bool
) -> str:
    """Reviews and exit belong to a live contract in monitoring."""
    if conflict := stage_conflict(reference, stage, status, Stage.MONITORING):
        return conflict
    return "" if contract_recorded else f"case {reference} has no contract recorded"


def upload_refusal(
    user_id: int | None, roles: Sequence[Role], requester_id: int, manager_id: int | None
) -> str:
    """The case's requester and manager, legal and procurement keep its documents."""
    if user_id in (requester_id, manager_id) or Role.LEGAL in roles or Role.PROCUREMENT in roles:
        return ""
    return "only the requester, contract manager, legal or procurement upload"


# Stages a case reaches only once legal has confirmed the signing.
AFTER_SIGNING = (Stage.REGISTER_ENTRY, Stage.MONITORING, Stage.EXIT)


def signed_contract_conflict(stage: Stage, document_type: str) -> str:
    """Once signing is confirmed the signed contract is a record: it is neither replaced nor
    joined by another "signed" copy (a change to a signed contract is a variation)."""
    if document_type == "contractSigned" and stage in AFTER_SIGNING:
        return (
            "the signed contract is a record once signing is confirmed: it cannot be replaced "
            "or joined by another signed copy; a change to it is a contract variation"
        )
    return ""


def upload_conflict(reference: str, status: Status) -> str:
    """A closed case's documents are final."""
    return f"case {reference} is closed" if status is Status.CLOSED else ""
