"""The assurance page: each measure's figures against its target, the cases that fall short
linked to their pages, the months recorded so far plus this month, and who may see it."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from lifecycle import clock
from lifecycle.assurance import month_of, months_back
from lifecycle.db import transaction
from lifecycle.models import AssuranceSnapshot, AuditEvent, Case, Contract, Gate, User

DAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


def add_case(engine: Engine, requester: User, number: int, **changes: Any) -> Case:
    """A case that needed a contract, written straight to the database."""
    assert requester.id is not None
    fields: dict[str, Any] = {
        "reference": f"PR-2026-{number:04d}",
        "ocid": f"ocds-test-{number}",
        "title": f"Purchase {number}",
        "description": "A purchase",
        "category": "services",
        "department": "IT",
        "estimated_value_pence": 50_000_00,
        "needed_by": date(2026, 12, 1),
        "contract_required": True,
        "route": "quotes",
        "contract": True,
        "stage": "procurement",
        "status": "in_progress",
        "requester_id": requester.id,
    }
    with transaction(engine) as session:
        case = Case(**(fields | changes))
        session.add(case)
        session.flush()
        return case


def legal_then_procurement(
    engine: Engine, case: Case, *, approved: datetime, entered: datetime
) -> None:
    """Legal approved the case at `approved`; it entered procurement at `entered`."""
    assert case.id is not None
    with transaction(engine) as session:
        session.add(
            Gate(
                case_id=case.id,
                kind="legal_consultation",
                role="legal",
                status="decided",
                due_on=approved.date(),
                decision="approve",
                decided_at=approved,
            )
        )
        session.add(
            AuditEvent(case_id=case.id, at=entered, action="stage_entered", to_stage="procurement")
        )


def section(page_html: str, key: str) -> str:
    """The part of the page about one measure."""
    start = page_html.index(f'<section class="app-measure" aria-labelledby="measure-{key}">')
    return page_html[start : page_html.index("</section>", start)]


def words(fragment: str) -> str:
    """What a person reads in a piece of HTML."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_each_measure_shows_its_figures_and_links_the_cases_that_fall_short(
    signed_in: Any, make_user: Any, engine: Engine
) -> None:
    auditor, _, _ = signed_in("auditor")
    requester, _ = make_user("requester")
    on_time = [add_case(engine, requester, number) for number in (1, 2, 3)]
    for case in on_time:
        legal_then_procurement(engine, case, approved=DAY, entered=DAY + timedelta(hours=1))
    late = add_case(engine, requester, 4)
    legal_then_procurement(engine, late, approved=DAY + timedelta(days=2), entered=DAY)
    add_case(engine, requester, 5, contract=False, contract_required=False, route="low_value")

    # One contract in force with no manager, signed on the day it started.
    live = on_time[0]
    assert live.id is not None and requester.id is not None
    with transaction(engine) as session:
        session.add(
            AuditEvent(case_id=live.id, at=DAY, action="stage_entered", to_stage="monitoring")
        )
        session.add(
            Contract(
                case_id=live.id,
                start_date=date(2026, 4, 1),
                end_date=date(2027, 4, 1),
                supplier_signed_on=date(2026, 3, 20),
                council_signed_on=date(2026, 4, 1),
                recorded_by=requester.id,
            )
        )

    page = auditor.get("/app/assurance")
    assert page.status_code == 200
    legal = words(section(page.text, "legal_first"))
    assert "75%" in legal and "3 of 4 contracts meet this" in legal and "Below target" in legal
    assert "1 case falls short PR-2026-0004" in legal
    assert f'href="/app/cases/{late.id}">PR-2026-0004</a>' in section(page.text, "legal_first")
    for case in on_time:
        assert f'href="/app/cases/{case.id}"' not in section(page.text, "legal_first")

    manager = section(page.text, "manager_named")
    assert "0 of 1 contract meets this" in words(manager)
    assert f'href="/app/cases/{live.id}">PR-2026-0001</a>' in manager
    signed = words(section(page.text, "signed_before_start"))
    assert "0 of 1 contract meets this" in signed and "PR-2026-0001" in signed
    lessons = words(section(page.text, "lessons_at_closure"))
    assert "No contract has reached the point where this applies yet" in lessons
    # Measures of other things say what they count.
    assert "5 of 5 cases meet this" in words(section(page.text, "history_intact"))
    mail = words(section(page.text, "mail_delivered"))
    assert "No notification has reached the point where this applies yet" in mail

    glance = words(page.text.split("At a glance", 1)[1].split("</table>", 1)[0])
    assert "Legal consulted before procurement 3 of 4 75% Below target" in glance
    assert "Closed contracts with lessons recorded 0 of 0 – No cases yet" in glance


def test_the_chart_draws_the_months_recorded_and_this_month_so_far(
    signed_in: Any, make_user: Any, engine: Engine
) -> None:
    auditor, _, _ = signed_in("auditor")
    requester, _ = make_user("requester")
    for number in (1, 2):
        legal_then_procurement(
            engine,
            add_case(engine, requester, number),
            approved=DAY,
            entered=DAY + timedelta(hours=number * 24 - 36),
        )
    this_month = month_of(clock.today())
    with transaction(engine) as session:
        session.add(
            AssuranceSnapshot(month=months_back(this_month, 2), measure="legal_first", met=1, of=3)
        )
        session.add(
            AssuranceSnapshot(month=months_back(this_month, 1), measure="legal_first", met=9, of=10)
        )
        # Older than the chart reaches: not drawn.
        session.add(
            AssuranceSnapshot(month=months_back(this_month, 30), measure="legal_first", met=0, of=5)
        )

    legal = section(auditor.get("/app/assurance").text, "legal_first")
    start = legal.index("<svg", legal.index("Month by month"))
    svg = legal[start : legal.index("</svg>", start) + 6]
    assert 'role="img"' in svg and "<title " in svg and "<desc " in svg
    assert svg.count("<circle") == 3  # two months recorded, and this one
    table = words(legal[legal.index("The figures for each month") :])

    def name(month: str) -> str:
        year, number = month.split("-")
        return f"{date(int(year), int(number), 1):%B %Y}"

    assert f"{name(months_back(this_month, 2))} 1 3 33.3%" in table
    assert f"{name(months_back(this_month, 1))} 9 10 90%" in table
    assert f"{name(this_month)} (so far) 1 2 50%" in table
    assert name(months_back(this_month, 30)) not in table


def test_every_shortfall_is_listed_a_page_at_a_time(
    signed_in: Any, make_user: Any, engine: Engine
) -> None:
    auditor, _, _ = signed_in("legal")
    requester, _ = make_user("requester")
    for number in range(1, 56):
        # Entered procurement with no legal approval at all.
        case = add_case(engine, requester, number)
        with transaction(engine) as session:
            session.add(
                AuditEvent(case_id=case.id, at=DAY, action="stage_entered", to_stage="procurement")
            )

    overview = section(auditor.get("/app/assurance").text, "legal_first")
    assert overview.count('href="/app/cases/') == 10
    assert "See all 55 cases that fall short" in words(overview)

    first = auditor.get("/app/assurance/legal_first")
    assert first.status_code == 200
    assert first.text.count('href="/app/cases/') == 50
    assert "PR-2026-0001" in first.text and "PR-2026-0051" not in first.text
    assert 'href="/app/assurance/legal_first?page=2"' in first.text
    second = auditor.get("/app/assurance/legal_first?page=2")
    assert second.text.count('href="/app/cases/') == 5
    assert "PR-2026-0051" in second.text and "PR-2026-0055" in second.text
    assert "Showing 51 to 55 of 55" in words(second.text)
    assert auditor.get("/app/assurance/no_such_measure").status_code == 404


def test_only_those_who_check_the_process_may_see_it(signed_in: Any) -> None:
    requester, _, _ = signed_in("requester")
    refused = requester.get("/app/assurance")
    assert refused.status_code == 403 and "You cannot do this" in refused.text
    assert requester.get("/app/assurance/legal_first").status_code == 403
    assert 'href="/app/assurance"' not in requester.get("/app/").text
    manager, _, _ = signed_in("contract_manager")
    assert manager.get("/app/assurance").status_code == 403
    auditor, _, _ = signed_in("auditor")
    assert auditor.get("/app/assurance").status_code == 200
    assert 'href="/app/assurance"' in auditor.get("/app/").text
