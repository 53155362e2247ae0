"""The internal-audit view: how far the audit's fixes hold, measured over every contract.
Pure: it takes plain records and returns measures, each with the cases that fall short, and
puts a measure's monthly snapshots in order for its trend."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date


# Not frozen: a report builds one per contract, and a frozen dataclass takes three times as
# long to build (ten thousand of them cost more than every query the report makes).
@dataclass(slots=True)
class ContractRecord:
    """What the report needs to know about one case that needed a contract."""

    reference: str
    value_pence: int
    key_contract: bool
    reached_procurement: bool
    legal_before_procurement: bool
    in_force: bool  # entered monitoring: live, exiting or closed after it
    manager_named: bool
    register_complete: bool  # published (or ended) with every Transparency Code field
    signed_before_start: bool | None  # None: no signed contract recorded
    exit_plan: bool
    contract_summary: bool
    review_overdue: bool
    closed_completed: bool
    lessons_recorded: bool
    case_id: int | None = None  # so a shortfall can link to its case
    # Key, or at or over the trained-manager threshold (lifecycle/training.py).
    needs_trained_manager: bool = False
    manager_trained: bool = False
    manager_name: str = ""


# Every measure is one of the audit's fixes, and the 2019 report accepted no exceptions to any
# of them (DOMAIN.md: "each of those is a rule the software enforces"), so each target is that
# every contract it applies to meets it.
TARGETS: dict[str, float] = {
    "legal_first": 1.0,
    "manager_named": 1.0,
    "register_complete": 1.0,
    "signed_before_start": 1.0,
    "exit_plan_and_summary": 1.0,
    "no_overdue_review": 1.0,
    "lessons_at_closure": 1.0,
    # The audit's open recommendation: officers needing training identified, and trained.
    "trained_managers": 1.0,
    # Not one of the audit's fixes, but each of them leans on people being told: a mail given
    # up on is a gate nobody heard of.
    "mail_delivered": 1.0,
    # Every record the report stands on must be the record as written.
    "history_intact": 1.0,
}


# What each measure counts, singular and plural: contracts, unless it says otherwise.
UNITS: dict[str, tuple[str, str]] = {
    "mail_delivered": ("notification", "notifications"),
    "history_intact": ("case", "cases"),
}


@dataclass(frozen=True)
class Shortfall:
    """A case that falls short of a measure."""

    reference: str
    case_id: int | None


@dataclass(frozen=True)
class Measure:
    """One line of the report: how many of the cases it applies to meet it."""

    key: str
    name: str
    met: int
    of: int
    short: tuple[Shortfall, ...]

    @property
    def shortfalls(self) -> list[str]:
        """The references of the cases that fall short, in order."""
        return [case.reference for case in self.short]

    @property
    def share(self) -> float | None:
        """The proportion met, or None when the measure applies to nothing yet."""
        return share_of(self.met, self.of)

    @property
    def unit(self) -> tuple[str, str]:
        """What the measure counts, singular and plural."""
        return UNITS.get(self.key, ("contract", "contracts"))

    @property
    def target(self) -> float:
        """The share the audit expects."""
        return TARGETS[self.key]

    @property
    def on_target(self) -> bool:
        """Whether the measure reaches its target (a measure that applies to nothing does).
        Compared exactly, not on the rounded share: one case short of 100% in 20,000 is short."""
        return self.of == 0 or self.met >= self.target * self.of


def share_of(met: int, of: int) -> float | None:
    """`met` of `of` as a proportion (4 places), or None when `of` is nothing."""
    return round(met / of, 4) if of else None


@dataclass(frozen=True)
class Rule:
    """One of the audit's fixes: which contracts it applies to, which meet it, and how a
    contract that falls short is named."""

    key: str
    name: str
    applies: Callable[[ContractRecord], bool]
    meets: Callable[[ContractRecord], bool]
    label: Callable[[ContractRecord], str] = lambda record: record.reference


def rules(*, register_threshold_pence: int) -> list[Rule]:
    """The audit's fixes, in the report's order."""
    return [
        Rule(
            "legal_first",
            "legal consulted before procurement",
            lambda r: r.reached_procurement,
            lambda r: r.legal_before_procurement,
        ),
        Rule(
            "manager_named",
            "contracts with a named contract manager",
            lambda r: r.in_force,
            lambda r: r.manager_named,
        ),
        Rule(
            "register_complete",
            "contracts of 5,000 or more on the register with every required field",
            lambda r: r.in_force and r.value_pence >= register_threshold_pence,
            lambda r: r.register_complete,
        ),
        Rule(
            "signed_before_start",
            "contracts signed before they started",
            lambda r: r.signed_before_start is not None,
            lambda r: bool(r.signed_before_start),
        ),
        Rule(
            "exit_plan_and_summary",
            "key contracts with an exit plan and a contract summary",
            lambda r: r.in_force and r.key_contract,
            lambda r: r.exit_plan and r.contract_summary,
        ),
        Rule(
            "no_overdue_review",
            "live contracts with no overdue review",
            lambda r: r.in_force and not r.closed_completed,
            lambda r: not r.review_overdue,
        ),
        Rule(
            "lessons_at_closure",
            "closed contracts with lessons recorded",
            lambda r: r.closed_completed,
            lambda r: r.lessons_recorded,
        ),
        # Live large or complex contracts whose manager's training counts today; a shortfall
        # names the manager beside the case.
        Rule(
            "trained_managers",
            "managers of large or complex contracts trained",
            lambda r: (
                r.in_force
                and not r.closed_completed
                and r.needs_trained_manager
                and bool(r.manager_name)
            ),
            lambda r: r.manager_trained,
            lambda r: f"{r.reference} ({r.manager_name})",
        ),
    ]


def falls_short(record: ContractRecord, *, register_threshold_pence: int) -> bool:
    """Whether a contract falls short of any measure that applies to it."""
    return any(
        rule.applies(record) and not rule.meets(record)
        for rule in rules(register_threshold_pence=register_threshold_pence)
    )


def assess_groups(
    groups: Iterable[tuple[ContractRecord, int]],
    short: Iterable[ContractRecord],
    *,
    register_threshold_pence: int,
) -> list[Measure]:
    """The measures counted over groups of alike contracts (a record standing for `count`
    contracts whose facts it shares), naming the contracts in `short` that fall short (it must
    hold every contract that does; those that do not are passed over)."""
    found = rules(register_threshold_pence=register_threshold_pence)
    met = dict.fromkeys((rule.key for rule in found), 0)
    of = dict(met)
    for record, count in groups:
        for rule in found:
            if rule.applies(record):
                of[rule.key] += count
                met[rule.key] += count if rule.meets(record) else 0
    named: dict[str, list[Shortfall]] = {rule.key: [] for rule in found}
    for record in short:
        for rule in found:
            if rule.applies(record) and not rule.meets(record):
                named[rule.key].append(Shortfall(rule.label(record), record.case_id))
    return [
        Measure(
            key=rule.key,
            name=rule.name,
            met=met[rule.key],
            of=of[rule.key],
            short=tuple(sorted(named[rule.key], key=lambda case: case.reference)),
        )
        for rule in found
    ]


def assess(records: Sequence[ContractRecord], *, register_threshold_pence: int) -> list[Measure]:
    """The audit's fixes, measured over every contract."""
    return assess_groups(
        [(record, 1) for record in records],
        records,
        register_threshold_pence=register_threshold_pence,
    )


def mail_delivered(sent: int, failed: Sequence[Shortfall]) -> Measure:
    """Notifications that reached their server, of those settled (sent, or given up on after
    the retry window); each mail given up on is named by its case."""
    short = tuple(sorted(failed, key=lambda case: case.reference))
    return Measure(
        key="mail_delivered",
        name="notifications delivered (not given up on)",
        met=sent,
        of=sent + len(short),
        short=short,
    )


def history_intact(cases: int, altered: Sequence[Shortfall]) -> Measure:
    """Cases whose audit history held at the last daily check, naming those that did not."""
    short = tuple(sorted(altered, key=lambda case: case.reference))
    return Measure(
        key="history_intact",
        name="case histories intact (hash chain checked daily)",
        met=cases - len(short),
        of=cases,
        short=short,
    )


def month_of(day: date) -> str:
    """The month a day falls in, as 'YYYY-MM' (the key of a monthly snapshot)."""
    return f"{day.year:04d}-{day.month:02d}"


def months_back(month: str, count: int) -> str:
    """The month `count` months before `month` ('YYYY-MM')."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + (number - 1) - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Point:
    """One month of a measure's trend."""

    month: str  # 'YYYY-MM'
    met: int
    of: int
    live: bool = False  # this month so far, measured now rather than recorded

    @property
    def share(self) -> float | None:
        """The proportion met that month, or None when it applied to nothing."""
        return share_of(self.met, self.of)


def trend(
    snapshots: Iterable[tuple[str, str, int, int]], current: Sequence[Measure], *, month: str
) -> dict[str, list[Point]]:
    """Each measure's recorded months (month, measure key, met, of) in order, ending with the
    current month's live value, which stands in for whatever was recorded for it so far."""
    points: dict[str, dict[str, Point]] = {measure.key: {} for measure in current}
    for recorded_month, key, met, of in snapshots:
        if key in points and recorded_month < month:
            points[key][recorded_month] = Point(recorded_month, met, of)
    for measure in current:
        points[measure.key][month] = Point(month, measure.met, measure.of, live=True)
    return {key: [by_month[m] for m in sorted(by_month)] for key, by_month in points.items()}
