"""Input models: what a person may send, validated before any service runs."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lifecycle.rules import Category, Decision, Role

MAX_PENCE = 100_000_000_000_00  # 100bn GBP: anything larger is a typing error, not a purchase
# Dates a council's purchase can carry: anything outside is a typing error, and a date near
# 9999-12-31 would overflow the arithmetic that schedules reviews after it.
EARLIEST_DATE = date(1990, 1, 1)
LATEST_DATE = date(2199, 12, 31)
Day = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]

# One line of text: no control characters at all (a line break in a title would reach mail
# bodies and CSV cells; a NUL is refused by PostgreSQL). Longer text keeps tabs and line breaks.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
PARAGRAPHS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, pattern=PARAGRAPHS),
]
OptionalText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000, pattern=PARAGRAPHS)
]
Pence = Annotated[int, Field(ge=0, le=MAX_PENCE, strict=True)]
PositivePence = Annotated[int, Field(gt=0, le=MAX_PENCE, strict=True)]
# Companies House numbers are 8 characters, charity numbers up to 8 digits with a suffix.
RegistrationNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=ONE_LINE)
]
# The Procurement Act 2023 KPI ratings.
KpiRating = Literal["good", "approaching_target", "requires_improvement", "inadequate"]


class Strict(BaseModel):
    """Unknown fields are an error: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PurchaseRequestIn(Strict):
    """A purchasing officer's request. Values are whole-life, including VAT, in pence."""

    title: Text
    description: LongText
    category: Category
    light_touch: bool = False
    department: Text
    estimated_value_pence: PositivePence
    irrecoverable_vat_pence: Pence = 0
    needed_by: Day
    contract_required: bool

    # Field validators (not a model validator) so the error's location names the field.
    @field_validator("light_touch")
    @classmethod
    def _light_touch_services_only(cls, value: bool, info: ValidationInfo) -> bool:
        """The light-touch regime applies to services only."""
        if value and info.data.get("category") not in (None, Category.SERVICES):
            raise ValueError("light_touch applies only to the services category")
        return value

    @field_validator("irrecoverable_vat_pence")
    @classmethod
    def _vat_within_value(cls, value: int, info: ValidationInfo) -> int:
        """VAT cannot exceed the value it is part of."""
        if value > info.data.get("estimated_value_pence", value):
            raise ValueError("irrecoverable_vat_pence cannot exceed estimated_value_pence")
        return value


class PurchaseRequestChanges(Strict):
    """What a requester may change when legal asks for changes."""

    title: Text | None = None
    description: LongText | None = None
    department: Text | None = None
    estimated_value_pence: PositivePence | None = None
    irrecoverable_vat_pence: Pence | None = None
    needed_by: Day | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the requester sent."""
        return self.model_dump(exclude_unset=True, exclude_none=True)


class GateDecisionIn(Strict):
    """A decision on a gate. Legal's approval of the early consultation also records the
    contract type and whether it is a key contract."""

    decision: Decision
    reason: OptionalText = Field(default="", validate_default=True)
    contract_type: Text | None = None
    key_contract: bool | None = None
    # A delegate deciding for a colleague away: whose gate it is (a delegation in force).
    on_behalf_of: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None

    @field_validator("reason")
    @classmethod
    def _reason_when_not_approved(cls, value: str, info: ValidationInfo) -> str:
        """Whoever sends a case back or stops it must say why."""
        decision = info.data.get("decision")
        if decision not in (None, Decision.APPROVE) and not value:
            raise ValueError(f"a reason is required to {decision.value}")
        return value


class BidIn(Strict):
    """A supplier's bid or quote."""

    supplier_name: Text
    registration_number: RegistrationNumber = ""
    sme: bool = False
    vcse: bool = False
    price_pence: PositivePence
    irrecoverable_vat_pence: Pence = 0
    score: Annotated[int, Field(ge=0, le=100)] | None = None

    @field_validator("irrecoverable_vat_pence")
    @classmethod
    def _vat_within_price(cls, value: int, info: ValidationInfo) -> int:
        """The VAT is part of the price, so it cannot exceed it."""
        price = info.data.get("price_pence")
        if price is not None and value > price:
            raise ValueError("irrecoverable_vat_pence cannot exceed price_pence")
        return value


class AwardRecommendationIn(Strict):
    """The bid procurement recommends, and why."""

    bid_id: int
    rationale: LongText


class AwardNoticeIn(Strict):
    """The day the award notice (UK6) was published; the standstill counts from that day."""

    published_on: Day


class ContractIn(Strict):
    """The signed contract's dates, and a reason when it was signed on or after its start."""

    start_date: Day
    end_date: Day
    supplier_signed_on: Day
    council_signed_on: Day
    late_signing_reason: OptionalText = ""

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        """A contract ends after it starts."""
        start = info.data.get("start_date")
        if start is not None and value <= start:
            raise ValueError("end_date must be after start_date")
        return value


class ContractManagerIn(Strict):
    """The officer named to manage the contract."""

    user_id: int


class RegisterDetailsIn(Strict):
    """The Transparency Code fields a contract manager supplies or corrects."""

    supplier_registration_number: RegistrationNumber | None = None
    review_date: Day | None = None
    procurement_process: Text | None = None
    description: LongText | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields sent."""
        return self.model_dump(exclude_unset=True, exclude_none=True)


class KpiIn(Strict):
    """One KPI result in a review, rated with the Procurement Act ratings."""

    name: Text
    target: Text
    result: Text
    rating: KpiRating


class KpiResultIn(Strict):
    """The result of one of the contract's KPIs (by id) in a review, and its rating."""

    kpi_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    result: Text
    rating: KpiRating


class ReviewIn(Strict):
    """A performance review for one period. `results` reports each KPI the contract sets;
    `kpis` stays for contracts that set none (free-form indicators)."""

    period_start: Day
    period_end: Day
    rag: Annotated[str, StringConstraints(pattern="^(red|amber|green)$")]
    kpis: list[KpiIn] = Field(default_factory=list, max_length=50)
    results: list[KpiResultIn] = Field(default_factory=list, max_length=50)
    notes: OptionalText = ""

    @field_validator("period_end")
    @classmethod
    def _period(cls, value: date, info: ValidationInfo) -> date:
        """A period ends after it starts."""
        start = info.data.get("period_start")
        if start is not None and value < start:
            raise ValueError("period_end must not be before period_start")
        return value


class ContractKpiIn(Strict):
    """A KPI the contract sets (Procurement Act 2023 s.52): what, how measured, the target."""

    name: Text
    measure: Text
    target: Text


class KpiChangeIn(ContractKpiIn):
    """A KPI as it now reads (each field as it is to be, changed or not), and why it changed:
    a target renegotiated, a measure made clearer, a name's typo."""

    reason: LongText


class FewerKpisIn(Strict):
    """Why a contract over the KPI threshold sets fewer than 3 KPIs."""

    reason: LongText


class KpiRatingIn(Strict):
    """One KPI's rating in an assessment."""

    kpi_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    rating: KpiRating


class AssessmentIn(Strict):
    """The assessment of the contract's KPIs up to a day (s.71): a rating for each KPI."""

    period_end: Day
    ratings: list[KpiRatingIn] = Field(min_length=1, max_length=50)
    notes: OptionalText = ""


class ExitIn(Strict):
    """Why and when the contract ends."""

    reason: Annotated[str, StringConstraints(pattern="^(expired|terminated|not_renewed)$")]
    ended_on: Day
    notes: OptionalText = ""


class VariationIn(Strict):
    """A change the contract manager proposes: what, why, by how much (pence, negative when
    the value falls), and the new end date if the term changes."""

    what: LongText
    why: LongText
    value_change_pence: Annotated[int, Field(ge=-MAX_PENCE, le=MAX_PENCE, strict=True)] = 0
    new_end_date: Day | None = None


class VariationDecisionIn(Strict):
    """One approval of a variation, given in the approver's role: approve, or reject with a
    reason."""

    role: Literal["procurement", "legal"]
    decision: Literal["approve", "reject"]
    reason: OptionalText = Field(default="", validate_default=True)
    # A delegate giving it for a colleague away: whose approval it is (a delegation in force).
    on_behalf_of: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None

    @field_validator("reason")
    @classmethod
    def _reason_when_rejected(cls, value: str, info: ValidationInfo) -> str:
        """Whoever stops a change must say why."""
        if info.data.get("decision") == "reject" and not value:
            raise ValueError("a reason is required to reject")
        return value


class ExtensionOptionIn(Strict):
    """The contract's extension option: until when it may be extended."""

    extension_until: Day


class ExpiryDecisionIn(Strict):
    """The decision an expiring contract needs: extend (to `new_end_date`, within the option),
    re-procure (a new linked case) or let it end."""

    decision: Literal["extend", "reprocure", "end"]
    new_end_date: Day | None = None
    reason: OptionalText = ""


class TerminationIn(Strict):
    """Ending a contract before its end date, and why."""

    terminated_on: Day
    reason: LongText


class TerminationNoticeIn(Strict):
    """The termination notice (Procurement Act 2023 s.80) as published: when, and its id."""

    published_on: Day
    notice_id: Text


class LessonIn(Strict):
    """A lessons-learned entry (it may say 'none')."""

    case_id: int | None = None
    text: LongText


# The public contract register's search: what a person or a client may ask of it.
# A search is one line too: a NUL in it is refused by PostgreSQL, and matches nothing anyway.
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200, pattern=ONE_LINE)
]
RegisterSort = Literal["reference", "title", "supplier", "value", "start_date", "end_date"]
SortOrder = Literal["asc", "desc"]


class RegisterFilter(Strict):
    """Which published contracts to show, and in what order; every field may be left out."""

    q: SearchText | None = None
    department: SearchText | None = None
    supplier: SearchText | None = None
    start_from: Day | None = None
    start_to: Day | None = None
    end_from: Day | None = None
    end_to: Day | None = None
    min_value_pence: Pence | None = None
    max_value_pence: Pence | None = None
    sort: RegisterSort = "reference"
    order: SortOrder = "asc"

    @field_validator("start_to", "end_to", "max_value_pence")
    @classmethod
    def _range_the_right_way_round(cls, value: Any, info: ValidationInfo) -> Any:
        """The upper end of a range cannot be below its lower end."""
        lower_name = {
            "start_to": "start_from",
            "end_to": "end_from",
            "max_value_pence": "min_value_pence",
        }[str(info.field_name)]
        lower = info.data.get(lower_name)
        if value is not None and lower is not None and value < lower:
            relation = "less than" if lower_name == "min_value_pence" else "before"
            raise ValueError(f"{info.field_name} must not be {relation} {lower_name}")
        return value


class TrainingRecordIn(Strict):
    """A course a person completed; `valid_until` empty when it does not lapse."""

    user_id: int
    course: Text
    provider: Text
    completed_on: Day
    valid_until: Day | None = None

    @field_validator("valid_until")
    @classmethod
    def _valid_after_completion(cls, value: date | None, info: ValidationInfo) -> date | None:
        """Training cannot lapse before it was completed."""
        completed = info.data.get("completed_on")
        if value is not None and completed is not None and value < completed:
            raise ValueError("valid_until cannot be before completed_on")
        return value


class HandoverIn(Strict):
    """Hand a contract manager's live contracts (or one case of theirs) to a successor, and
    with `deactivate` switch the leaver off in the same step."""

    from_user_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    to_user_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    case_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    deactivate: bool = False


class DelegationIn(Strict):
    """Delegate your gates of one role to a colleague holding it, from one day to another
    (both included)."""

    delegate_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    role: Role
    starts_on: Day
    ends_on: Day


# A Find a Tender notice identifier as the platform gives it (041267-2026), or another
# platform's reference: one short token.
NOTICE_IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9/_-]{2,39}$"


class NoticePublishedIn(Strict):
    """A notice published on Find a Tender: when, and the identifier the platform gave it."""

    published_on: Day
    identifier: Annotated[str, StringConstraints(pattern=NOTICE_IDENTIFIER, max_length=40)]
