"""Cases placed straight at a stage for the KPI tests: the earlier stages are other tests'."""

from datetime import date, timedelta

from sqlalchemy import Engine

from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Contract, Document, Gate, RegisterEntry, User
from lifecycle.rules import GateKind, Stage, Status
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases
from lifecycle.settings import Settings

TODAY = clock.today()


def contract_case(
    engine: Engine,
    settings: Settings,
    *,
    requester: User,
    manager: User,
    stage: Stage = Stage.MONITORING,
    value_pence: int = 6_000_000_00,
    contract: bool = True,
    next_assessment_due: date | None = None,
) -> int:
    """A case of `value_pence` with its manager named, in `stage`, with a contract that
    started 100 days ago when `contract`. Returns its id."""
    request = PurchaseRequestIn(
        title="Waste collection services",
        description="Seven-year kerbside collection",
        category="services",
        department="Environment",
        estimated_value_pence=value_pence,
        needed_by=TODAY + timedelta(days=60),
        contract_required=True,
    )
    with transaction(engine) as session:
        case = cases.create(session, requester=requester, request=request, settings=settings)
        assert case.id is not None and manager.id is not None and requester.id is not None
        case.stage, case.status = stage.value, Status.IN_PROGRESS.value
        case.contract_manager_id = manager.id
        session.add(case)
        if contract:
            session.add(
                Contract(
                    case_id=case.id,
                    start_date=TODAY - timedelta(days=100),
                    end_date=TODAY + timedelta(days=2000),
                    supplier_signed_on=TODAY - timedelta(days=110),
                    council_signed_on=TODAY - timedelta(days=110),
                    next_assessment_due=next_assessment_due,
                    recorded_by=requester.id,
                )
            )
        return case.id


def awaiting_register_verification(
    engine: Engine, settings: Settings, *, requester: User, manager: User
) -> tuple[int, int]:
    """A 6,000,000 contract in register entry with everything monitoring asks for but KPIs,
    and procurement's verification gate open. Returns the case and gate ids."""
    case_id = contract_case(
        engine, settings, requester=requester, manager=manager, stage=Stage.REGISTER_ENTRY
    )
    with transaction(engine) as session:
        case = cases.get(session, case_id=case_id)
        case.standstill_last_day = TODAY - timedelta(days=150)
        case.status = Status.AWAITING_DECISION.value
        session.add(case)
        for kind in (GateKind.LEGAL_CONSULTATION, GateKind.AWARD_APPROVAL):
            session.add(
                Gate(
                    case_id=case_id,
                    kind=kind,
                    role="x",
                    status="decided",
                    due_on=TODAY,
                    decision="approve",
                )
            )
        session.add(
            Gate(
                case_id=case_id,
                kind=GateKind.SIGNING_CONFIRMATION,
                role="legal",
                status="decided",
                due_on=TODAY,
                decision="approve",
            )
        )
        session.add(
            Document(
                case_id=case_id,
                document_type="contractSigned",
                title="Signed",
                filename="signed.pdf",
                content_type="application/pdf",
                size_bytes=4,
                sha256="0" * 64,
                uploaded_by=requester.id or 0,
            )
        )
        session.add(
            RegisterEntry(
                case_id=case_id,
                status="submitted",
                reference=case.reference,
                ocid=case.ocid,
                title=case.title,
                department=case.department,
                description=case.description,
                supplier_name="Clean Streets Ltd",
                start_date=TODAY - timedelta(days=100),
                end_date=TODAY + timedelta(days=2000),
                review_date=TODAY + timedelta(days=90),
                value_pence=case.estimated_value_pence,
                procurement_process="Open tender",
                contract_manager_name=manager.name,
            )
        )
        gate = Gate(
            case_id=case_id,
            kind=GateKind.REGISTER_VERIFICATION,
            role="procurement",
            due_on=TODAY + timedelta(days=5),
        )
        session.add(gate)
        session.flush()
        assert gate.id is not None
        return case_id, gate.id
