"""Bringing in the contracts a council already has, from the register it publishes (a CSV
file). A dry run says, row by row, what would be created or updated and what the register
lacks, and writes nothing. Applied, each new contract becomes a case already in monitoring,
with its contract and its published register line, its history marked as imported, and flags
for what the register lacks; a contract imported before (matched on its own reference in the
file) is updated where the file changed it, with the old and new values in its history.

No stage flow is asked for: the import writes the state a monitoring flow would leave (the
first review scheduled), so thousands of contracts come in within one transaction in seconds.
A file with any problem is refused whole, each problem named by row and column."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, select

from lifecycle import clock
from lifecycle.errors import Forbidden, Invalid
from lifecycle.models import Case, Contract, RegisterEntry, User, utcnow
from lifecycle.register_import import ImportedContract, Problem, match_manager, parse
from lifecycle.rules import Role
from lifecycle.services import audit, imported_cases, training, users
from lifecycle.services.imported_cases import (
    INCOMPLETE,
    NO_MANAGER,
    PAST_END,
    UNSIGNED,
    NewContract,
)
from lifecycle.settings import Settings
from lifecycle.training import training_need

__all__ = ["INCOMPLETE", "NO_MANAGER", "PAST_END", "UNSIGNED", "ImportReport", "RowPlan", "run"]

Progress = Callable[[int, int], None]
# New cases are written this many at a time: a few INSERTs each, and the progress bar moves.
BATCH = 250
# How many problems a refusal lists before saying how many more there are.
LISTED_PROBLEMS = 20
# The register fields an import fills from the file, when the file gives them.
FROM_FILE = (
    "title",
    "description",
    "department",
    "supplier_name",
    "supplier_registration_number",
    "start_date",
    "end_date",
    "review_date",
    "value_pence",
    "procurement_process",
)


@dataclass(frozen=True)
class RowPlan:
    """What the import does with one row: create, update (`changed` names the fields) or
    leave unchanged; `lacks` is what a created contract is flagged for."""

    row: int
    source_reference: str
    title: str
    action: str
    case_reference: str | None = None
    changed: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """The file's layout, each row's plan, and whether it was applied."""

    layout: str
    applied: bool
    rows: tuple[RowPlan, ...] = field(default=())

    def count(self, action: str) -> int:
        """How many rows take this action."""
        return sum(1 for row in self.rows if row.action == action)


def refusal_message(problems: Sequence[Problem]) -> str:
    """The problems as one message: the first few, and how many more."""
    listed = "; ".join(str(problem) for problem in problems[:LISTED_PROBLEMS])
    more = len(problems) - LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return f"the file cannot be imported, nothing was imported: {listed}{suffix}"


def run(
    session: Session,
    *,
    by: User | None,
    data: bytes,
    apply: bool,
    settings: Settings,
    progress: Progress | None = None,
) -> ImportReport:
    """Read the register file and plan every row; with `apply`, import it (in the caller's
    transaction: all of it or, on any problem, none). `by` None is the server's console, which
    may look (a dry run) but not import: an imported case needs a person as its requester."""
    if by is not None and not users.has_role(by, Role.PROCUREMENT, Role.ADMIN):
        raise Forbidden("only procurement or an admin can import a contract register")
    if apply and by is None:
        raise Invalid("an import is made by a procurement officer or admin", field="by")
    parsed = parse(data)
    if parsed.problems or parsed.layout is None:
        first = parsed.problems[0] if parsed.problems else None
        raise Invalid(refusal_message(parsed.problems), field=first.column if first else None)
    existing = _existing(session, [contract.reference for contract in parsed.contracts])
    managers = _managers(session)
    people = _people(managers)
    step = progress or (lambda _done, _total: None)
    total = len(parsed.contracts)
    plans: list[RowPlan] = []
    new: list[NewContract] = []
    for contract in parsed.contracts:
        entry = existing.get(contract.reference)
        if entry is None:
            manager = managers.get(
                match_manager(contract.manager_name, contract.manager_email, people) or 0
            )
            new.append(NewContract(contract, manager))
            continue
        changes = _changes(entry, contract)
        if changes and by is not None and apply:
            _update(session, entry=entry, contract=contract, changes=changes, by=by)
        plans.append(
            RowPlan(
                row=contract.row,
                source_reference=contract.reference,
                title=contract.title,
                action="update" if changes else "unchanged",
                case_reference=entry.reference,
                changed=tuple(changes),
            )
        )
        step(len(plans), total)
    if apply and by is not None:
        plans += _create(session, new=new, by=by, settings=settings, done=len(plans), step=step)
    else:
        for one in new:
            plans.append(_planned(one, settings))
            step(len(plans), total)
    return ImportReport(
        layout=parsed.layout.name,
        applied=apply,
        rows=tuple(sorted(plans, key=lambda plan: plan.row)),
    )


def _existing(session: Session, references: Sequence[str]) -> dict[str, RegisterEntry]:
    """The register entries imported before, by their reference in the file (a few queries
    in all, however many rows)."""
    found: dict[str, RegisterEntry] = {}
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        for entry in session.exec(
            select(RegisterEntry).where(col(RegisterEntry.source_reference).in_(chunk))
        ):
            assert entry.source_reference is not None
            found[entry.source_reference] = entry
    return found


def _managers(session: Session) -> dict[int, User]:
    """The active contract managers, by id: the only people a register can name as manager."""
    return {
        user.id: user
        for user in users.with_role(session, role=Role.CONTRACT_MANAGER)
        if user.id is not None and user.active
    }


def _people(managers: dict[int, User]) -> list[tuple[int, str, str]]:
    """The managers as (id, name, email), for the pure matching rule."""
    return [(user_id, user.name, user.email) for user_id, user in managers.items()]


def _file_values(contract: ImportedContract) -> dict[str, Any]:
    """The register fields the row gives (a blank in the file changes nothing)."""
    values = {name: getattr(contract, name, None) for name in FROM_FILE if name != "value_pence"}
    values["value_pence"] = contract.value_pence
    return {name: value for name, value in values.items() if value not in (None, "")}


def _changes(entry: RegisterEntry, contract: ImportedContract) -> dict[str, tuple[Any, Any]]:
    """The fields whose value in the file differs from the register's: (old, new)."""
    return {
        name: (getattr(entry, name), value)
        for name, value in _file_values(contract).items()
        if getattr(entry, name) != value
    }


def _update(
    session: Session,
    *,
    entry: RegisterEntry,
    contract: ImportedContract,
    changes: dict[str, tuple[Any, Any]],
    by: User,
) -> None:
    """Bring an imported contract in line with a changed row: its register line, its case and
    its contract dates, with the old and new values in its history."""
    case = session.get(Case, entry.case_id)
    assert case is not None and case.id is not None
    for name, (_, new) in changes.items():
        setattr(entry, name, new)
    entry.updated_at = case.updated_at = utcnow()
    case.title, case.description = entry.title, entry.description
    case.department, case.estimated_value_pence = entry.department, entry.value_pence
    dates = session.exec(select(Contract).where(Contract.case_id == case.id)).first()
    if dates is not None:
        dates.start_date = entry.start_date or dates.start_date
        dates.end_date = entry.end_date or dates.end_date
        session.add(dates)
    elif entry.start_date and entry.end_date:
        assert by.id is not None
        session.add(
            Contract(
                case_id=case.id,
                start_date=entry.start_date,
                end_date=entry.end_date,
                recorded_by=by.id,
            )
        )
    session.add_all([entry, case])
    audit.record(
        session,
        case=case,
        actor_id=by.id,
        action="import_updated",
        row=contract.row,
        source_reference=contract.reference,
        before={name: _text(old) for name, (old, _) in changes.items()},
        after={name: _text(new) for name, (_, new) in changes.items()},
    )


def _text(value: Any) -> str | int | None:
    """A value as the audit trail keeps it."""
    return value if value is None or isinstance(value, int) else str(value)


def _planned(new: NewContract, settings: Settings) -> RowPlan:
    """A new row as the dry run reports it, with what it would be flagged for."""
    today = clock.today()
    interval = imported_cases.review_interval(False, settings)
    review = imported_cases.first_review(new.row, interval, today)
    entry = imported_cases.entry_values(new, settings, review)
    return RowPlan(
        row=new.row.row,
        source_reference=new.row.reference,
        title=new.row.title,
        action="create",
        lacks=tuple(
            message for _, message in imported_cases.flags_for(entry, new.row, new.manager, today)
        ),
    )


def _create(
    session: Session,
    *,
    new: Sequence[NewContract],
    by: User,
    settings: Settings,
    done: int,
    step: Progress,
) -> list[RowPlan]:
    """Write the new contracts a batch at a time, then raise the training needs of those
    whose matched manager must be trained for them."""
    references = imported_cases.reserve_references(session, count=len(new), settings=settings)
    named = [replace(one, reference=ref) for one, ref in zip(new, references, strict=True)]
    plans: list[RowPlan] = []
    trained_for: list[int] = []
    threshold = settings.trained_manager_threshold_pence
    for start in range(0, len(named), BATCH):
        batch = named[start : start + BATCH]
        written = imported_cases.write(session, batch=batch, by=by, settings=settings)
        for one, (case_id, flags) in zip(batch, written, strict=True):
            plans.append(
                RowPlan(
                    row=one.row.row,
                    source_reference=one.row.reference,
                    title=one.row.title,
                    action="create",
                    case_reference=one.reference,
                    lacks=tuple(message for _, message in flags),
                )
            )
            if one.manager is not None and training_need(False, one.row.value_pence, threshold):
                trained_for.append(case_id)
        step(done + len(plans), done + len(named))
    for case_id in trained_for:
        case = session.get(Case, case_id)
        assert case is not None
        training.check_case(session, case=case, settings=settings)
    return plans
