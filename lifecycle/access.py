"""Which parts of the product each role may use. Pure: the API and the pages ask the same
question here, so a menu never offers what a service would refuse."""

from collections.abc import Iterable
from enum import StrEnum

from lifecycle.rules import Role


class Area(StrEnum):
    """A part of the product a person may be allowed into."""

    RAISE_REQUEST = "raise_request"
    ALL_CASES = "all_cases"
    WRITE_LESSONS = "write_lessons"
    ASSURANCE = "assurance"
    READ_USERS = "read_users"
    MANAGE_USERS = "manage_users"
    READ_ALL_MAIL = "read_all_mail"
    RECORD_TRAINING = "record_training"
    READ_ALL_TRAINING = "read_all_training"


AREA_ROLES: dict[Area, frozenset[Role]] = {
    Area.RAISE_REQUEST: frozenset({Role.REQUESTER}),
    # The teams that run the process, and those who check it.
    Area.ALL_CASES: frozenset({Role.LEGAL, Role.PROCUREMENT, Role.AUDITOR, Role.ADMIN}),
    # Auditors read the log; officers write it.
    Area.WRITE_LESSONS: frozenset(set(Role) - {Role.AUDITOR}),
    Area.ASSURANCE: frozenset({Role.AUDITOR, Role.ADMIN, Role.PROCUREMENT, Role.LEGAL}),
    Area.READ_USERS: frozenset({Role.ADMIN, Role.AUDITOR}),
    Area.MANAGE_USERS: frozenset({Role.ADMIN}),
    Area.READ_ALL_MAIL: frozenset({Role.ADMIN, Role.AUDITOR}),
    # Procurement keeps the council's training records; everyone reads their own.
    Area.RECORD_TRAINING: frozenset({Role.PROCUREMENT, Role.ADMIN}),
    Area.READ_ALL_TRAINING: frozenset({Role.PROCUREMENT, Role.ADMIN, Role.AUDITOR}),
}


def may_enter(roles: Iterable[Role], area: Area) -> bool:
    """Whether someone holding `roles` may use `area`."""
    return not AREA_ROLES[area].isdisjoint(roles)


def refusal(roles: Iterable[Role], area: Area) -> str:
    """Why `roles` may not use `area`, or '' when they may."""
    if may_enter(roles, area):
        return ""
    needed = sorted(role.value for role in AREA_ROLES[area])
    return "this needs the role " + " or ".join(needed)
