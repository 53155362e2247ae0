"""Live contracts written straight to the database, for the handover and delegation tests."""

from datetime import date
from typing import Any

from sqlalchemy import Engine

from lifecycle.db import transaction
from lifecycle.models import Case, RegisterEntry, User


def live_case(engine: Engine, requester: User, manager: User, number: int, **changes: Any) -> int:
    """A contract in monitoring managed by `manager`, with its register entry."""
    assert requester.id is not None and manager.id is not None
    fields: dict[str, Any] = {
        "reference": f"PR-2026-{number:04d}",
        "ocid": f"ocds-test-{number}",
        "title": f"Contract {number}",
        "description": "Services",
        "category": "services",
        "department": "Environment",
        "estimated_value_pence": 80_000_00,
        "needed_by": date(2027, 6, 1),
        "contract_required": True,
        "route": "below_threshold",
        "contract": True,
        "stage": "monitoring",
        "status": "in_progress",
        "requester_id": requester.id,
        "contract_manager_id": manager.id,
    }
    with transaction(engine) as session:
        case = Case(**(fields | changes))
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            RegisterEntry(
                case_id=case.id,
                status="published",
                reference=case.reference,
                ocid=case.ocid,
                title=case.title,
                department=case.department,
                description=case.description,
                value_pence=case.estimated_value_pence,
                contract_manager_name=manager.name,
            )
        )
        return case.id
