"""Contract KPIs and their assessment under the Procurement Act 2023: a contract over the KPI
threshold sets at least 3 KPIs (s.52) unless a reason why not is recorded, each review reports
a result for every KPI the contract sets, and a KPI contract is assessed at least every 12
months with the Act's ratings (s.71). Pure: plain values in and out."""

import calendar
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

from lifecycle.guards import monitoring_conflict, stage_conflict
from lifecycle.rules import Stage, Status

# KPIs are agreed in the contract as it is signed, must all be there before the contract goes
# live (entering monitoring checks s.52), and a live contract may gain one (after a change).
# Before signing there is no contract to carry them; at exit there is nothing left to measure.
KPI_STAGES = (Stage.SIGNING, Stage.REGISTER_ENTRY, Stage.MONITORING)
MIN_KPIS = 3  # Procurement Act 2023 s.52(1)
# The Act's ratings (s.71), in the order a form offers them, with the words a person reads.
RATINGS = {
    "good": "Good",
    "approaching_target": "Approaching target",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}


def needs_kpis(value_pence: int, threshold_pence: int) -> bool:
    """Whether the contract must set KPIs: only one over the threshold (not at it)."""
    return value_pence > threshold_pence


def kpi_shortfall(value_pence: int, threshold_pence: int, kpis: int, reason: str | None) -> str:
    """Why the contract may not go live (enter monitoring) with the KPIs it sets, or "" when it
    may: over the threshold it needs MIN_KPIS, or a recorded reason why fewer."""
    if not needs_kpis(value_pence, threshold_pence) or kpis >= MIN_KPIS:
        return ""
    if reason and reason.strip():
        return ""
    return (
        f"a contract over £{threshold_pence // 100:,} sets at least {MIN_KPIS} KPIs "
        f"(Procurement Act 2023 s.52): it sets {kpis}; add {MIN_KPIS - kpis} more, or have "
        "procurement record why it has fewer"
    )


def results_problem(kpi_ids: Sequence[int], reported: Sequence[int]) -> str:
    """What is wrong with a review's results against the contract's KPIs ("" when each KPI
    has exactly one result and nothing else is reported). The ids sent are not repeated."""
    counts = Counter(reported)
    if any(seen > 1 for seen in counts.values()):
        return "a KPI is reported more than once"
    if set(reported) - set(kpi_ids):
        return "a KPI is reported that this contract does not set"
    if missing := [kpi for kpi in kpi_ids if kpi not in counts]:
        return f"each of the contract's KPIs needs a result: {len(missing)} missing"
    return ""


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where that month is shorter (29
    February plus 12 months is 28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def assessment_due(last: date, interval_months: int) -> date:
    """When the next assessment is due after one on (or a schedule starting) `last`."""
    return add_months(last, interval_months)


def assessment_reminders(
    due: date, today: date, lead_days: int, escalation_days: int
) -> tuple[bool, bool]:
    """Whether an assessment due on `due` is reminded today (within the lead time, or late),
    and whether it is escalated (overdue by `escalation_days` or more)."""
    remind = (due - today).days <= lead_days
    return remind, (today - due).days >= escalation_days


def kpi_setting_refusal(user_id: int | None, procurement: bool, manager_id: int | None) -> str:
    """The contract manager or procurement set a contract's KPIs."""
    if user_id == manager_id or procurement:
        return ""
    return "only the contract manager or procurement set a contract's KPIs"


def fewer_kpis_refusal(procurement: bool) -> str:
    """Only procurement records why a contract sets fewer KPIs than the Act asks: the manager
    who would report on them does not exempt themselves."""
    return "" if procurement else "only procurement records why a contract has fewer KPIs"


def kpi_changes(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, list[str]]:
    """Each field that changes, as [from, to]."""
    return {name: [before[name], value] for name, value in after.items() if before[name] != value}


def fewer_kpis_conflict(reference: str, stage: Stage, status: Status, short: bool) -> str:
    """Why no reason for fewer KPIs can be recorded now: outside the stages KPIs are set in, or
    when the contract is not short of them (it sets enough, is under the threshold, or already
    records why)."""
    if conflict := kpi_setting_conflict(reference, stage, status):
        return conflict
    return "" if short else f"case {reference} is not short of KPIs: there is nothing to explain"


def assessment_refusal(user_id: int | None, procurement: bool, manager_id: int | None) -> str:
    """The contract manager or procurement assess the contract's KPIs."""
    if user_id == manager_id or procurement:
        return ""
    return "only the contract manager or procurement assess a contract's KPIs"


def kpi_setting_conflict(reference: str, stage: Stage, status: Status) -> str:
    """KPIs are set from signing until the contract is live (see KPI_STAGES)."""
    return stage_conflict(reference, stage, status, *KPI_STAGES)


def assessment_conflict(
    reference: str, stage: Stage, status: Status, contract_recorded: bool, kpis: int
) -> str:
    """A live contract that sets KPIs is assessed."""
    if conflict := monitoring_conflict(reference, stage, status, contract_recorded):
        return conflict
    return "" if kpis else f"case {reference} sets no KPIs to assess"
