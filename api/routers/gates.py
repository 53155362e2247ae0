"""Gate decisions."""

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.refusals import CHANGE_WITH_BODY, answers
from api.views import GateView, gate_view
from lifecycle.schemas import GateDecisionIn
from lifecycle.services import cases, gates

router = APIRouter(prefix="/cases/{case_id}/gates", tags=["gates"])


@router.post("/{gate_id}/decision", response_model=GateView, responses=answers(*CHANGE_WITH_BODY))
def decide(
    case_id: int, gate_id: int, body: GateDecisionIn, session: SessionDep, user: CurrentUser
) -> GateView:
    """Approve, request changes or reject. A decided gate answers 409."""
    case = cases.get_for_change(session, case_id=case_id, user=user)
    gate = gates.decide(
        session,
        case=case,
        gate=gates.get(session, case=case, gate_id=gate_id),
        user=user,
        decision=body,
    )
    return gate_view(session, case, gate)
