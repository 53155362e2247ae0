"""The internal-audit view: how far the audit's fixes hold, measured over every contract.
Pure: it takes plain records and returns measures, each with the cases that fall short."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Measure:
    """One line of the report: how many of the cases it applies to meet it."""

    name: str
    met: int
    of: int
    shortfalls: list[str]

    @property
    def share(self) -> float | None:
        """The proportion met, or None when the measure applies to nothing yet."""
        return round(self.met / self.of, 4) if self.of else None


def _measure(
    name: str,
    records: Sequence[ContractRecord],
    applies: Callable[[ContractRecord], bool],
    meets: Callable[[ContractRecord], bool],
) -> Measure:
    """Count the records a measure applies to, and name those that fall short."""
    population = [record for record in records if applies(record)]
    short = [record.reference for record in population if not meets(record)]
    return Measure(
        name=name, met=len(population) - len(short), of=len(population), shortfalls=sorted(short)
    )


def assess(records: Sequence[ContractRecord], *, register_threshold_pence: int) -> list[Measure]:
    """The audit's fixes, measured."""
    return [
        _measure(
            "legal consulted before procurement",
            records,
            lambda r: r.reached_procurement,
            lambda r: r.legal_before_procurement,
        ),
        _measure(
            "contracts with a named contract manager",
            records,
            lambda r: r.in_force,
            lambda r: r.manager_named,
        ),
        _measure(
            "contracts of 5,000 or more on the register with every required field",
            records,
            lambda r: r.in_force and r.value_pence >= register_threshold_pence,
            lambda r: r.register_complete,
        ),
        _measure(
            "contracts signed before they started",
            records,
            lambda r: r.signed_before_start is not None,
            lambda r: bool(r.signed_before_start),
        ),
        _measure(
            "key contracts with an exit plan and a contract summary",
            records,
            lambda r: r.in_force and r.key_contract,
            lambda r: r.exit_plan and r.contract_summary,
        ),
        _measure(
            "live contracts with no overdue review",
            records,
            lambda r: r.in_force and not r.closed_completed,
            lambda r: not r.review_overdue,
        ),
        _measure(
            "closed contracts with lessons recorded",
            records,
            lambda r: r.closed_completed,
            lambda r: r.lessons_recorded,
        ),
    ]
