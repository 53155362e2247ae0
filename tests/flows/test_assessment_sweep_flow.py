"""The monitoring sweep on a real Prefect server reminds a KPI assessment that falls due
(Procurement Act s.71) once, however often it runs."""

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows.sweeps import monitoring_sweep
from lifecycle.models import Mail
from lifecycle.settings import Settings
from tests.api.kpi_support import contract_case

pytestmark = pytest.mark.prefect


def test_monitoring_sweep_reminds_a_due_assessment_once(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    contract_case(
        product_database,
        settings,
        requester=requester,
        manager=manager,
        next_assessment_due=date.today() + timedelta(days=2),
    )
    assert run(monitoring_sweep())["assessment_reminders"] == 1
    assert run(monitoring_sweep())["assessment_reminders"] == 0
    with Session(product_database) as session:
        mails = session.exec(select(Mail).where(Mail.notification == "assessment_due")).all()
        assert [mail.recipients for mail in mails] == [[manager.email]]
