"""Races the database must settle: cases raised at the same moment get distinct consecutive
references (the year's first ones included), and of two simultaneous decisions on one gate
exactly one wins while the other is refused and changes nothing."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from lifecycle.db import transaction
from lifecycle.errors import Conflict
from lifecycle.models import AuditEvent, Case, Gate
from lifecycle.plans import Step
from lifecycle.rules import GateKind, Stage
from lifecycle.schemas import GateDecisionIn, PurchaseRequestIn
from lifecycle.services import cases, gates, progress, stagework
from lifecycle.settings import Settings

REQUEST = PurchaseRequestIn(
    title="Cleaning",
    description="Office cleaning",
    category="services",
    department="Estates",
    estimated_value_pence=50_000_00,
    needed_by=date.today() + timedelta(days=30),
    contract_required=True,
)


def raise_case(engine: Engine, requester: Any, settings: Settings) -> str:
    with transaction(engine) as session:
        return cases.create(
            session, requester=requester, request=REQUEST, settings=settings
        ).reference


def test_simultaneous_cases_get_distinct_consecutive_references(
    engine: Engine, make_user: Any, settings: Settings
) -> None:
    requester, _ = make_user("requester")
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(lambda _: raise_case(engine, requester, settings), range(16)))
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    assert numbers == list(range(1, 17))


def test_two_simultaneous_decisions_one_wins(
    engine: Engine, make_user: Any, settings: Settings
) -> None:
    requester, _ = make_user("requester")
    first_legal, _ = make_user("legal")
    second_legal, _ = make_user("legal")
    reference = raise_case(engine, requester, settings)
    with transaction(engine) as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        case.stage = Stage.LEGAL_CONSULTATION.value
        session.add(case)
        stagework.perform(
            session,
            case=case,
            stage=Stage.LEGAL_CONSULTATION,
            step=Step.OPEN_GATE,
            gate=GateKind.LEGAL_CONSULTATION,
            settings=settings,
        )
        assert case.id is not None
        case_id = case.id

    def decide(user: Any) -> str:
        decision = GateDecisionIn(decision="approve", contract_type="Services", key_contract=False)
        try:
            with transaction(engine) as session:
                case = cases.get_for_change(session, case_id=case_id, user=None)
                gate = progress.pending_gate(session, case_id=case_id)
                if gate is None:
                    raise Conflict("no pending gate")
                gates.decide(session, case=case, gate=gate, user=user, decision=decision)
            return "won"
        except Conflict:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(decide, (first_legal, second_legal)))
    assert outcomes == ["refused", "won"]
    with Session(engine) as session:
        assert len(session.exec(select(Gate).where(Gate.case_id == case_id)).all()) == 1
        decided = session.exec(select(AuditEvent).where(AuditEvent.action == "gate_decided")).all()
    assert len(decided) == 1
