"""The monitoring sweep on a real Prefect server asks for a contract's expiry decision and
escalates it at the last lead time, and reminds a termination notice, each once however often
it runs."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows.sweeps import monitoring_sweep
from lifecycle import clock
from lifecycle.db import transaction
from lifecycle.models import Contract, Mail
from lifecycle.settings import Settings
from tests.api.test_api_contract_changes import live_contract

pytestmark = pytest.mark.prefect


def test_monitoring_sweep_sends_expiry_alerts_and_notice_reminders_once(
    prefect: str, product_database: Engine, make_user: Any, settings: Settings, run: Any
) -> None:
    requester, _ = make_user("requester")
    manager, _ = make_user("contract_manager")
    buyer, _ = make_user("procurement")
    today = clock.today()
    # Two months to run: the 3-month alert is due, and with no decision it is escalated.
    live_contract(product_database, requester, manager, number=1, end_date=today + timedelta(60))
    # Ended yesterday, procured under the Act's full regime: its termination notice is due.
    ended = live_contract(product_database, requester, manager, number=2, route="above_threshold")
    with transaction(product_database) as session:
        contract = session.exec(select(Contract).where(Contract.case_id == ended)).one()
        contract.ended_on, contract.exit_reason = today - timedelta(days=1), "terminated"
        session.add(contract)

    first = run(monitoring_sweep())
    assert (first["expiry_alerts"], first["termination_notice_reminders"]) == (2, 1)
    again = run(monitoring_sweep())
    assert (again["expiry_alerts"], again["termination_notice_reminders"]) == (0, 0)
    with Session(product_database) as session:
        mails = session.exec(
            select(Mail)
            .where(col(Mail.notification).in_(["contract_expiring", "termination_notice_due"]))
            .order_by(col(Mail.id))
        ).all()
    assert sorted(mail.key.split(":")[1] for mail in mails) == [
        "expiry",
        "expiry-escalated",
        "termination-notice",
    ]
    assert all(mail.recipients == sorted([manager.email, buyer.email]) for mail in mails)
