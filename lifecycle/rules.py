"""The pure core: stages, routes, gates and the guards on each move. No I/O here."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The seven stages of a case, in lifecycle order."""

    PURCHASE_REQUEST = "purchase_request"
    LEGAL_CONSULTATION = "legal_consultation"
    PROCUREMENT = "procurement"
    SIGNING = "signing"
    REGISTER_ENTRY = "register_entry"
    MONITORING = "monitoring"
    EXIT = "exit"


class Status(StrEnum):
    """Where a case stands inside its stage."""

    IN_PROGRESS = "in_progress"
    AWAITING_DECISION = "awaiting_decision"
    CHANGES_REQUESTED = "changes_requested"
    STANDSTILL = "standstill"
    CLOSED = "closed"


class Outcome(StrEnum):
    """How a closed case ended."""

    COMPLETED = "completed"
    REJECTED = "rejected"


class Category(StrEnum):
    """OCDS mainProcurementCategory."""

    GOODS = "goods"
    SERVICES = "services"
    WORKS = "works"


class Route(StrEnum):
    """The procurement route the value decides."""

    LOW_VALUE = "low_value"
    QUOTES = "quotes"
    BELOW_THRESHOLD = "below_threshold"
    ABOVE_THRESHOLD = "above_threshold"


class Role(StrEnum):
    """What a user may do; a user can hold several."""

    REQUESTER = "requester"
    LEGAL = "legal"
    PROCUREMENT = "procurement"
    CONTRACT_MANAGER = "contract_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


class GateKind(StrEnum):
    """The decisions a case waits on."""

    LEGAL_CONSULTATION = "legal_consultation"
    AWARD_APPROVAL = "award_approval"
    SIGNING_CONFIRMATION = "signing_confirmation"
    REGISTER_VERIFICATION = "register_verification"
    CLOSURE = "closure"


class Decision(StrEnum):
    """What a decider can say at a gate."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


GATE_STAGE: dict[GateKind, Stage] = {
    GateKind.LEGAL_CONSULTATION: Stage.LEGAL_CONSULTATION,
    GateKind.AWARD_APPROVAL: Stage.PROCUREMENT,
    GateKind.SIGNING_CONFIRMATION: Stage.SIGNING,
    GateKind.REGISTER_VERIFICATION: Stage.REGISTER_ENTRY,
    GateKind.CLOSURE: Stage.EXIT,
}

GATE_ROLE: dict[GateKind, Role] = {
    GateKind.LEGAL_CONSULTATION: Role.LEGAL,
    GateKind.AWARD_APPROVAL: Role.PROCUREMENT,
    GateKind.SIGNING_CONFIRMATION: Role.LEGAL,
    GateKind.REGISTER_VERIFICATION: Role.PROCUREMENT,
    GateKind.CLOSURE: Role.PROCUREMENT,
}

PROCUREMENT_PROCESS: dict[Route, str] = {
    Route.LOW_VALUE: "Invitation to quote (single quote)",
    Route.QUOTES: "Invitation to quote (three written quotes)",
    Route.BELOW_THRESHOLD: "Published tender (below threshold)",
    Route.ABOVE_THRESHOLD: "Published tender (Procurement Act 2023 competitive tendering)",
}


@dataclass(frozen=True)
class Thresholds:
    """Route boundaries in pence, whole-life value including VAT."""

    quotes: int
    advertised: int
    goods_services: int
    works: int
    light_touch: int


def procurement_threshold(thresholds: Thresholds, category: Category, light_touch: bool) -> int:
    """The Procurement Act threshold that applies to this kind of purchase."""
    if category is Category.WORKS:
        return thresholds.works
    if light_touch and category is Category.SERVICES:
        return thresholds.light_touch
    return thresholds.goods_services


def route_for(
    value_pence: int, category: Category, light_touch: bool, thresholds: Thresholds
) -> Route:
    """The route a whole-life value (including VAT) takes."""
    if value_pence < 0:
        raise ValueError("value must not be negative")
    if value_pence >= procurement_threshold(thresholds, category, light_touch):
        return Route.ABOVE_THRESHOLD
    if value_pence >= thresholds.advertised:
        return Route.BELOW_THRESHOLD
    if value_pence >= thresholds.quotes:
        return Route.QUOTES
    return Route.LOW_VALUE


def needs_contract(route: Route, contract_required: bool) -> bool:
    """Everything from the quotes route up is let under a contract; below it, only if asked."""
    return contract_required or route is not Route.LOW_VALUE


def needs_standstill(route: Route) -> bool:
    """Only above-threshold awards carry the statutory standstill."""
    return route is Route.ABOVE_THRESHOLD


def stage_path(contract: bool) -> tuple[Stage, ...]:
    """The stages a case passes through, in order. Every contract goes on the register (all of
    5,000 or more must; a low-value one goes on because a contract was asked for). A purchase
    without a contract takes the short path: request, one quote approved in procurement, done."""
    if not contract:
        return (Stage.PURCHASE_REQUEST, Stage.PROCUREMENT)
    return tuple(Stage)


def next_stage(contract: bool, current: Stage) -> Stage | None:
    """The stage after `current` on this case's path; None when the case is complete."""
    path = stage_path(contract)
    index = path.index(current)
    return path[index + 1] if index + 1 < len(path) else None


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case, as plain values."""

    contract: bool
    key_contract: bool
    legal_approved: bool
    award_approved: bool
    standstill_over: bool
    signed_contract: bool
    signing_confirmed: bool
    contract_manager: bool
    register_complete: bool
    register_verified: bool
    exit_plan: bool
    contract_summary: bool
    lessons_recorded: bool


def entry_problems(facts: CaseFacts, stage: Stage) -> list[str]:
    """What stops a case entering `stage`; empty when it may. Each guard includes the ones
    before it, so no path reaches a stage without everything the earlier ones require."""
    problems: list[str] = []
    order = list(Stage)
    reached = order.index(stage)
    legal_due = facts.contract and reached > order.index(Stage.LEGAL_CONSULTATION)
    if legal_due and not facts.legal_approved:
        problems.append("legal has not approved the early consultation")
    if reached > order.index(Stage.PROCUREMENT) and not facts.award_approved:
        problems.append("the award has not been approved")
    if reached > order.index(Stage.PROCUREMENT) and not facts.standstill_over:
        problems.append("the standstill period has not ended")
    if reached > order.index(Stage.SIGNING):
        if not facts.signed_contract:
            problems.append("no signed contract is held in the repository")
        if not facts.signing_confirmed:
            problems.append("legal has not confirmed the signing")
    if reached > order.index(Stage.REGISTER_ENTRY):
        if not facts.contract_manager:
            problems.append("no contract manager is named")
        if not facts.register_complete:
            problems.append("the register entry is missing required fields")
        if not facts.register_verified:
            problems.append("procurement has not verified the register entry")
        if facts.key_contract and not facts.exit_plan:
            problems.append("a key contract needs an exit plan (contractArrangements)")
        if facts.key_contract and not facts.contract_summary:
            problems.append("a key contract needs a contract summary (contractSummary)")
    return problems


def closure_problems(facts: CaseFacts) -> list[str]:
    """What stops a contract being closed at exit."""
    return [] if facts.lessons_recorded else ["no lessons-learned entry is recorded"]


# What a person did on a case that a gate then decides (audit actions), in the words a refusal
# uses. Segregation of duties as an auditor would accept it: whoever prepared what a gate
# decides does not decide it.
PREPARATIONS: dict[GateKind, dict[str, str]] = {
    GateKind.AWARD_APPROVAL: {
        "bid_recorded": "you recorded a bid in this procurement",
        "award_recommended": "you recommended this award",
    },
    GateKind.SIGNING_CONFIRMATION: {"contract_recorded": "you recorded this contract"},
    GateKind.REGISTER_VERIFICATION: {
        "register_details_updated": "you prepared this register entry",
        "register_submitted": "you submitted this register entry",
    },
    GateKind.CLOSURE: {"exit_started": "you started this contract's exit"},
}


def prepared_by(kind: GateKind, events: Iterable[tuple[int | None, str]]) -> dict[int, str]:
    """From a case's (actor, action) audit events, oldest first: who prepared what a gate of
    `kind` decides, each with the first thing they did."""
    actions = PREPARATIONS.get(kind, {})
    found: dict[int, str] = {}
    for actor_id, action in events:
        if actor_id is not None and action in actions:
            found.setdefault(actor_id, actions[action])
    return found


def may_decide(
    user_roles: Sequence[Role],
    user_id: int,
    requester_id: int,
    kind: GateKind,
    prepared: Mapping[int, str] | None = None,
) -> str:
    """Why this user may not decide this gate, or '' when they may. Segregation of duties:
    nobody decides a gate on a case they requested, nor one on what they prepared
    (`prepared`: who prepared it, each with what they did, from PREPARATIONS)."""
    if GATE_ROLE[kind] not in user_roles:
        return f"only the {GATE_ROLE[kind].value} role decides the {kind.value} gate"
    if user_id == requester_id:
        return "the requester of a case cannot decide its gates"
    if prepared and user_id in prepared:
        return f"{prepared[user_id]}, so another officer must decide it"
    return ""


ALLOWED_DECISIONS: dict[GateKind, frozenset[Decision]] = {
    GateKind.LEGAL_CONSULTATION: frozenset(Decision),
    GateKind.AWARD_APPROVAL: frozenset(Decision),
    GateKind.SIGNING_CONFIRMATION: frozenset({Decision.APPROVE, Decision.REQUEST_CHANGES}),
    GateKind.REGISTER_VERIFICATION: frozenset({Decision.APPROVE, Decision.REQUEST_CHANGES}),
    GateKind.CLOSURE: frozenset({Decision.APPROVE, Decision.REQUEST_CHANGES}),
}

REGISTER_REQUIRED_FIELDS = (
    "reference",
    "title",
    "department",
    "description",
    "supplier_name",
    "start_date",
    "end_date",
    "review_date",
    "value_pence",
    "procurement_process",
    "contract_manager_name",
)


def register_missing(fields: dict[str, object]) -> list[str]:
    """The Transparency Code fields still empty. SMEs and VCSEs must give a Companies House or
    charity number."""
    missing = [name for name in REGISTER_REQUIRED_FIELDS if fields.get(name) in (None, "")]
    needs_number = fields.get("sme") or fields.get("vcse")
    if needs_number and not fields.get("supplier_registration_number"):
        missing.append("supplier_registration_number")
    return missing


class Effect(StrEnum):
    """What a gate decision does to the case."""

    CLOSE = "close"  # rejected: the case ends
    SEND_BACK = "send_back"  # changes requested: the gate reopens on resubmission
    AWAIT_AWARD_NOTICE = "await_award_notice"  # approved award that carries a standstill
    ADVANCE = "advance"  # the next stage (or completion)


class Party(StrEnum):
    """Who answers a request for changes."""

    REQUESTER = "requester"
    PROCUREMENT_TEAM = "procurement_team"
    CONTRACT_MANAGER = "contract_manager"


CHANGES_ANSWERED_BY: dict[GateKind, Party] = {
    GateKind.LEGAL_CONSULTATION: Party.REQUESTER,
    GateKind.AWARD_APPROVAL: Party.PROCUREMENT_TEAM,
    GateKind.SIGNING_CONFIRMATION: Party.REQUESTER,
    GateKind.REGISTER_VERIFICATION: Party.CONTRACT_MANAGER,
    GateKind.CLOSURE: Party.CONTRACT_MANAGER,
}


def decision_effect(kind: GateKind, decision: Decision, route: Route) -> Effect:
    """What a decision on a gate of `kind` means for the case."""
    if decision is Decision.REJECT:
        return Effect.CLOSE
    if decision is Decision.REQUEST_CHANGES:
        return Effect.SEND_BACK
    if kind is GateKind.AWARD_APPROVAL and needs_standstill(route):
        return Effect.AWAIT_AWARD_NOTICE
    return Effect.ADVANCE


# Written quotes a route needs before an award can be recommended.
MIN_BIDS: dict[Route, int] = {
    Route.LOW_VALUE: 1,
    Route.QUOTES: 3,
    Route.BELOW_THRESHOLD: 1,
    Route.ABOVE_THRESHOLD: 1,
}


# How a route is named in mail and on pages.
ROUTE_LABELS: dict[Route, str] = {
    Route.LOW_VALUE: "low value (one quote)",
    Route.QUOTES: "three written quotes",
    Route.BELOW_THRESHOLD: "below-threshold advertised procurement",
    Route.ABOVE_THRESHOLD: "above-threshold Procurement Act 2023 competition",
}


@dataclass(frozen=True)
class RouteAdvice:
    """What a requester is told before sending a request: the route its value takes, the band
    of values that take it, and what that means for the purchase."""

    route: Route
    label: str
    band: str
    meaning: str


def _pounds(pence: int) -> str:
    """A threshold in pounds as people write it: £30,000, or £29,999.99 when it has pence."""
    pounds = f"£{pence // 100:,}"
    return pounds if pence % 100 == 0 else f"{pounds}.{pence % 100:02d}"


def route_band(route: Route, category: Category, light_touch: bool, thresholds: Thresholds) -> str:
    """The whole-life values, including VAT, that take `route` for this kind of purchase."""
    top = procurement_threshold(thresholds, category, light_touch)
    match route:
        case Route.LOW_VALUE:
            return f"under {_pounds(thresholds.quotes)}"
        case Route.QUOTES:
            return f"{_pounds(thresholds.quotes)} or more, under {_pounds(thresholds.advertised)}"
        case Route.BELOW_THRESHOLD:
            return f"{_pounds(thresholds.advertised)} or more, under {_pounds(top)}"
    return f"{_pounds(top)} or more"


def route_meaning(route: Route, standstill_working_days: int) -> str:
    """What taking `route` means for the purchase, in plain words."""
    match route:
        case Route.LOW_VALUE:
            return (
                "One quote is enough. The purchase goes on the contract register only if a "
                "contract is required."
            )
        case Route.QUOTES:
            return (
                "Three written quotes: procurement asks at least three suppliers to quote before "
                "recommending an award. The contract goes on the contract register."
            )
        case Route.BELOW_THRESHOLD:
            return (
                "Below-threshold: a notice is advertised so that any supplier can bid. The "
                "contract goes on the contract register."
            )
    return (
        "Above threshold: full Procurement Act 2023 competition, and a standstill of at least "
        f"{standstill_working_days} working days after the award notice before the contract "
        "can be signed. The contract goes on the contract register."
    )


def route_advice(
    value_pence: int,
    category: Category,
    light_touch: bool,
    thresholds: Thresholds,
    standstill_working_days: int,
) -> RouteAdvice:
    """The route a value takes, with its band and meaning."""
    route = route_for(value_pence, category, light_touch, thresholds)
    return RouteAdvice(
        route=route,
        label=ROUTE_LABELS[route],
        band=route_band(route, category, light_touch, thresholds),
        meaning=route_meaning(route, standstill_working_days),
    )
