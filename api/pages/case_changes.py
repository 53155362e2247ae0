"""What the case page shows about a live contract's changes and end: its variations and the
approvals they wait on, the expiry decision it needs, and the termination notice (s.80)."""

from dataclasses import dataclass

from sqlmodel import Session

from api import views
from lifecycle import clock
from lifecycle.actions import Person
from lifecycle.contract_end import EndState, approval_roles
from lifecycle.errors import Conflict
from lifecycle.models import Case, User
from lifecycle.rules import Role
from lifecycle.services import expiry, termination, variations
from lifecycle.settings import Settings


@dataclass(frozen=True)
class ChangesPanel:
    """The section's content; empty parts are not shown."""

    variations: list[views.VariationView]
    expiry: views.ExpiryView | None
    termination: views.TerminationView | None
    pending: views.VariationView | None = None  # the variation waiting on approval
    my_roles: tuple[str, ...] = ()  # the open approvals of it the person looking may give
    # Colleagues away for whom they may give the first of those, by delegation.
    behalf: tuple[User, ...] = ()
    ask_expiry: bool = False  # the first expiry alert has gone and no decision is taken


def panel(
    session: Session, case: Case, settings: Settings, *, ending: EndState, me: Person, user: User
) -> ChangesPanel:
    """The section for this case: nothing about the end until a contract is recorded."""
    assert case.id is not None
    rows = [
        views.variation_view(session, case, row)
        for row in variations.list_(session, case_id=case.id)
    ]
    pending = next((row for row in rows if row.status == "pending"), None)
    mine = tuple(role.value for role in approval_roles(ending, me.id, me.roles, case.requester_id))
    behalf: tuple[User, ...] = ()
    if pending is not None and mine:
        variation = variations.get(session, case=case, variation_id=pending.id)
        behalf = tuple(
            variations.stand_in_for(
                session, case=case, variation=variation, role=Role(mine[0]), me=user
            )
        )
    try:
        end = views.expiry_view(expiry.state(session, case=case, settings=settings))
        notice = views.TerminationView.model_validate(
            termination.state(session, case=case, settings=settings)
        )
    except Conflict:  # no contract recorded yet
        end, notice = None, None
    return ChangesPanel(
        variations=rows,
        expiry=end,
        termination=notice,
        pending=pending,
        my_roles=mine,
        behalf=behalf,
        ask_expiry=end is not None
        and end.decision_needed
        and bool(end.alerts)
        and end.alerts[0].on <= clock.today(),
    )
