"""Procurement Act 2023 notices on Find a Tender: which a case needs, by when, and what a
notice may do next. Pure: plain values in and out.

A council (a sub-central authority) publishes, for a covered (above-threshold) procurement: the
tender notice UK4 (s.21) when it invites tenders, the contract award notice UK6 (s.50) before
entering the contract (it starts the standstill, s.51), the contract details notice UK7 (s.53)
within 30 days of entering it (120 for a light-touch contract), a contract performance notice
UK9 (s.71) within 30 days of each assessment of a contract over £5 million, a contract change
notice UK10 (s.75) before a change takes effect, and a contract termination notice UK11 (s.80)
within 30 days of the contract ending. For a regulated below-threshold contract (£30,000 and
over) that it advertises: the below-threshold tender notice UK4 (s.86) and the contract details
notice UK7 (s.87, within 30 days). Below £30,000, none."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from lifecycle.calendar import add_working_days
from lifecycle.expiry import notice_due_on
from lifecycle.rules import Role, Route


class NoticeType(StrEnum):
    """The notices procure tracks, by their Find a Tender form."""

    UK4 = "UK4"
    UK6 = "UK6"
    UK7 = "UK7"
    UK9 = "UK9"
    UK10 = "UK10"
    UK11 = "UK11"


NAMES: dict[NoticeType, str] = {
    NoticeType.UK4: "Tender notice",
    NoticeType.UK6: "Contract award notice",
    NoticeType.UK7: "Contract details notice",
    NoticeType.UK9: "Contract performance notice",
    NoticeType.UK10: "Contract change notice",
    NoticeType.UK11: "Contract termination notice",
}


class NoticeStatus(StrEnum):
    """Where a notice stands: drafted from the case, checked ready, published on the platform."""

    DRAFT = "draft"
    READY = "ready"
    PUBLISHED = "published"


@dataclass(frozen=True)
class NoticeFacts:
    """What decides a case's notices."""

    route: Route
    light_touch: bool
    value_pence: int  # the awarded price once there is one, else the estimate
    kpi_threshold_pence: int
    procurement_opened_on: date | None = None
    award_approved_on: date | None = None
    contract_entered_on: date | None = None
    contract_start: date | None = None
    assessments: tuple[date, ...] = ()  # the days KPIs were assessed (s.71), in order
    changes: tuple[date, ...] = ()  # the days contract changes were approved, in order
    ended_on: date | None = None
    termination_notice_days: int = 30


@dataclass(frozen=True)
class NoticeDue:
    """One notice: whether the case needs it, by when (None: not yet known), and why."""

    key: str  # UK4, or UK9-2 for the second of several
    type: NoticeType
    required: bool
    due_by: date | None
    why: str
    # The day the duty to publish arose (the tender opened, the contract was entered into, the
    # assessment was made, ...): reminders start then. None while it has not arisen.
    arises_on: date | None = None
    # Whether `due_by` is a last day the Act sets. The tender notice (s.21) and the award
    # notice (s.50) have none: they come before a step (inviting tenders, entering into the
    # contract), so `due_by` is only the day they are expected, never "overdue".
    deadline: bool = True


def _after(day: date | None, days: int) -> date | None:
    """`days` after `day`, when it is known."""
    return day + timedelta(days=days) if day is not None else None


def _within(day: date | None, days: int) -> date | None:
    """The last day of "the period of `days` days beginning with the day" `day` (the Act's
    words in s.53, s.71 and s.87, as in s.80 for the termination notice), when it is known."""
    return notice_due_on(day, days) if day is not None else None


def _not_required(kind: NoticeType, why: str) -> NoticeDue:
    """A notice this case does not need."""
    return NoticeDue(kind.value, kind, False, None, why)


def _covered(facts: NoticeFacts) -> list[NoticeDue]:
    """The notices of a covered (above-threshold) procurement."""
    details_days = 120 if facts.light_touch else 30
    found = [
        NoticeDue(
            "UK4",
            NoticeType.UK4,
            True,
            facts.procurement_opened_on,
            "s.21: published when the procurement invites tenders",
            facts.procurement_opened_on,
            deadline=False,
        ),
        NoticeDue(
            "UK6",
            NoticeType.UK6,
            True,
            facts.award_approved_on,
            "s.50: published before the contract is entered into; starts the standstill",
            facts.award_approved_on,
            deadline=False,
        ),
        NoticeDue(
            "UK7",
            NoticeType.UK7,
            True,
            _within(facts.contract_entered_on, details_days),
            f"s.53: within {details_days} days of entering the contract",
            facts.contract_entered_on,
        ),
    ]
    if facts.value_pence > facts.kpi_threshold_pence:
        # One for each assessment; before the first, the one it is due by (12 months in),
        # whose duty has not yet arisen.
        assessed = facts.assessments or (_after(facts.contract_start, 365),)
        found += [
            NoticeDue(
                f"UK9-{n}",
                NoticeType.UK9,
                True,
                _within(day, 30),
                "s.71: within 30 days of each assessment of a contract over £5 million",
                day if facts.assessments else None,
            )
            for n, day in enumerate(assessed, start=1)
        ]
    else:
        found.append(_not_required(NoticeType.UK9, "s.71 applies to contracts over £5 million"))
    found += [
        NoticeDue(
            f"UK10-{n}",
            NoticeType.UK10,
            True,
            day,
            "s.75: published before the change takes effect",
            day,
        )
        for n, day in enumerate(facts.changes, start=1)
    ]
    if not facts.changes:
        found.append(_not_required(NoticeType.UK10, "s.75: only when the contract is changed"))
    found.append(
        NoticeDue(
            "UK11",
            NoticeType.UK11,
            True,
            # The same last day the contract's own record shows (lifecycle/expiry.py).
            notice_due_on(facts.ended_on, facts.termination_notice_days)
            if facts.ended_on
            else None,
            f"s.80: within {facts.termination_notice_days} days of the contract ending",
            facts.ended_on,
        )
    )
    return found


def notices(facts: NoticeFacts) -> list[NoticeDue]:
    """Every notice for the case, needed or not, in the order they fall."""
    if facts.route is Route.ABOVE_THRESHOLD:
        return _covered(facts)
    later = (NoticeType.UK6, NoticeType.UK9, NoticeType.UK10, NoticeType.UK11)
    if facts.route is Route.BELOW_THRESHOLD:
        return [
            NoticeDue(
                "UK4",
                NoticeType.UK4,
                True,
                facts.procurement_opened_on,
                "s.86: a regulated below-threshold contract that is advertised",
                facts.procurement_opened_on,
                deadline=False,
            ),
            NoticeDue(
                "UK7",
                NoticeType.UK7,
                True,
                _within(facts.contract_entered_on, 30),
                "s.87: within 30 days of entering a regulated below-threshold contract",
                facts.contract_entered_on,
            ),
            *(_not_required(kind, "only for contracts at or over the threshold") for kind in later),
        ]
    return [
        _not_required(kind, "no notice for contracts under £30,000")
        for kind in (NoticeType.UK4, NoticeType.UK7, *later)
    ]


def manage_refusal(roles: Iterable[Role]) -> str:
    """Why this person may not mark notices ready or record them published, or '' when they
    may: that is the procurement team's."""
    if Role.PROCUREMENT not in set(roles):
        return "only the procurement role manages Procurement Act notices"
    return ""


def publishes_notices(route: Route) -> bool:
    """Whether a case on this route owes any notice at all (quotes and low value: none)."""
    return route in (Route.ABOVE_THRESHOLD, Route.BELOW_THRESHOLD)


def ready_refusal(notice: NoticeDue | None, status: NoticeStatus, missing: list[str]) -> str:
    """Why a notice may not be marked ready, or '' when it may."""
    if notice is None or not notice.required:
        return "this case does not need that notice"
    if status is not NoticeStatus.DRAFT:
        return f"the notice is already {status.value}"
    if missing:
        return "the notice is missing: " + ", ".join(missing)
    return ""


def publish_refusal(
    notice: NoticeDue | None, status: NoticeStatus, *, already_out: bool = False
) -> str:
    """Why a notice may not be recorded as published, or '' when it may. One known to be out
    already (`already_out`) need not be marked ready first."""
    if notice is None or not notice.required:
        return "this case does not need that notice"
    if status is NoticeStatus.PUBLISHED:
        return "the notice is already published"
    if status is not NoticeStatus.READY and not already_out:
        return "mark the notice ready before recording its publication"
    return ""


def publication_date_problem(
    kind: NoticeType, published_on: date, today: date, award_notice_on: date | None
) -> str:
    """Why a publication date cannot be right, or '': not in the future, and a contract award
    notice (UK6) is the award notice whose publication started the standstill, so it carries
    that notice's date."""
    if published_on > today:
        return "published_on must not be in the future"
    if kind is NoticeType.UK6 and award_notice_on and published_on != award_notice_on:
        return f"the award notice was recorded as published on {award_notice_on}"
    return ""


def owed_words(notice: NoticeDue, status: NoticeStatus) -> str:
    """What procurement must do next about a notice owed, for their list of work."""
    name = f"{NAMES[notice.type].lower()} ({notice.key})"
    if status is NoticeStatus.READY:
        return f"Record the {name} as published"
    return f"Publish the {name} on Find a Tender"


def deadline_reminder(
    notice: NoticeDue, today: date, before: Iterable[int], escalation_working_days: int
) -> str | None:
    """Which reminder of an unpublished notice is due today, as a key part, as for a gate:
    'due' once its duty arises, 'Nd' when N days or fewer are left, 'overdue' after its last
    day, 'escalated' once it is `escalation_working_days` working days overdue; None while
    there is nothing to remind (not needed, not arisen). A notice without a last day in the
    Act is reminded once, as it arises."""
    if not notice.required or notice.arises_on is None or today < notice.arises_on:
        return None
    if not notice.deadline or notice.due_by is None:
        return "due"
    if today > add_working_days(notice.due_by, escalation_working_days):
        return "escalated"
    if today > notice.due_by:
        return "overdue"
    left = (notice.due_by - today).days
    near = [n for n in before if left <= n]
    # The day it arises says so first, even when that is its last day (UK10).
    return f"{min(near)}d" if near and today > notice.arises_on else "due"


def overdue(notice: NoticeDue, today: date) -> bool:
    """Whether a notice not yet published is past the last day the Act gives it."""
    return notice.deadline and notice.due_by is not None and today > notice.due_by
