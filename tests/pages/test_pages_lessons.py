"""The lessons-learned page: adding a lesson with or without a case (by its reference, or
prefilled from the case page), errors beside the fields with nothing lost, auditors reading
but not writing, and searching and paging the log."""

import re
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from lifecycle.db import transaction
from lifecycle.models import AuditEvent, Case, Lesson
from lifecycle.schemas import PurchaseRequestIn
from lifecycle.services import cases
from lifecycle.settings import Settings


def raise_case(engine: Engine, settings: Settings, make_user: Any, helpers: Any) -> Case:
    """A purchase request raised by a new requester."""
    requester, _ = make_user("requester")
    with transaction(engine) as session:
        return cases.create(
            session,
            requester=requester,
            request=PurchaseRequestIn(**helpers.purchase_request()),
            settings=settings,
        )


def lessons_in(engine: Engine) -> list[Lesson]:
    """Every lesson in the database, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(Lesson).order_by(col(Lesson.id))))


def test_signing_in_is_needed(browser: Any) -> None:
    """The log is for officers: visitors are sent to sign in first."""
    answer = browser().get("/app/lessons", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/app/sign-in?next=/app/lessons")


def test_adding_a_lesson_about_no_case(signed_in: Any, engine: Engine) -> None:
    """The lesson is logged, the page says so once, and the log shows it with its author."""
    person, user, _ = signed_in("requester", name="Rita Patel")
    empty = person.get("/app/lessons").text
    assert "No lessons have been logged yet." in empty and "Add a lesson" in empty
    answer = person.submit(
        "/app/lessons", "/app/lessons", {"text": "Agree KPIs before signing", "reference": ""}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/app/lessons"
    page = person.get("/app/lessons").text
    assert "Your lesson is in the log." in page
    assert "Agree KPIs before signing" in page and "Rita Patel" in page
    assert "/app/cases/" not in page
    assert "Your lesson is in the log." not in person.get("/app/lessons").text
    [lesson] = lessons_in(engine)
    assert (lesson.case_id, lesson.author_id) == (None, user.id)


def test_adding_a_lesson_about_a_case_by_its_reference(
    signed_in: Any, engine: Engine, settings: Settings, make_user: Any, helpers: Any
) -> None:
    """A reference typed in any case links the lesson to that case's page."""
    case = raise_case(engine, settings, make_user, helpers)
    person, _, _ = signed_in("procurement")
    typed = f"  {case.reference.lower()} "
    answer = person.submit(
        "/app/lessons", "/app/lessons", {"text": "Start the exit plan early", "reference": typed}
    )
    assert answer.status_code == 303, answer.text
    page = person.get("/app/lessons").text
    assert f'<a class="govuk-link" href="/app/cases/{case.id}">{case.reference}</a>' in page
    assert [lesson.case_id for lesson in lessons_in(engine)] == [case.id]


def test_coming_from_a_case_prefills_its_reference(
    signed_in: Any, engine: Engine, settings: Settings, make_user: Any, helpers: Any
) -> None:
    """`?case_id=` fills in the reference for someone who may read the case, and for no one
    else; a junk id is simply ignored."""
    case = raise_case(engine, settings, make_user, helpers)
    legal, _, _ = signed_in("legal")
    page = legal.get(f"/app/lessons?case_id={case.id}").text
    assert re.search(f'name="reference"[^>]* value="{case.reference}"', page)
    stranger, _, _ = signed_in("requester")
    page = stranger.get(f"/app/lessons?case_id={case.id}").text
    assert re.search('name="reference"[^>]* value=""', page)
    assert legal.get("/app/lessons?case_id=abc").status_code == 200


def test_a_reference_of_no_case_is_refused_beside_the_field(signed_in: Any, engine: Engine) -> None:
    """Nothing is written; the lesson as typed and the reference stay in the form."""
    person, _, _ = signed_in("procurement")
    answer = person.submit(
        "/app/lessons",
        "/app/lessons",
        {"text": "Check the framework's expiry", "reference": "PR-1999-9999"},
    )
    assert answer.status_code == 422
    assert "There is no case with that reference" in answer.text
    assert 'href="#reference"' in answer.text
    assert "Check the framework&#39;s expiry</textarea>" in answer.text
    assert 'value="PR-1999-9999"' in answer.text
    assert lessons_in(engine) == []


def test_an_empty_lesson_is_refused_and_the_reference_kept(
    signed_in: Any, engine: Engine, settings: Settings, make_user: Any, helpers: Any
) -> None:
    """Blank text is not a lesson (it may say 'none', but it must say something)."""
    case = raise_case(engine, settings, make_user, helpers)
    person, _, _ = signed_in("requester")
    answer = person.submit(
        "/app/lessons", "/app/lessons", {"text": "   ", "reference": case.reference}
    )
    assert answer.status_code == 422
    assert "Enter what was learned" in answer.text and 'href="#text"' in answer.text
    assert f'value="{case.reference}"' in answer.text
    assert lessons_in(engine) == []


def test_both_errors_at_once_in_the_order_of_the_form(signed_in: Any) -> None:
    """The summary lists the lesson's error before the reference's, as the form does."""
    person, _, _ = signed_in("requester")
    answer = person.submit("/app/lessons", "/app/lessons", {"text": "", "reference": "nope"})
    summary = answer.text.split("There is a problem")[1]
    assert summary.index("#text") < summary.index("#reference")


def test_auditors_read_but_cannot_add(signed_in: Any, engine: Engine) -> None:
    """No form for an auditor, and a post anyway is refused with 403 and writes nothing."""
    officer, _, _ = signed_in("requester")
    officer.submit("/app/lessons", "/app/lessons", {"text": "Written by an officer"})
    auditor, _, _ = signed_in("auditor")
    page = auditor.get("/app/lessons").text
    assert "Written by an officer" in page
    assert "Add a lesson" not in page and 'name="text"' not in page
    with Session(engine) as session:
        events_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    answer = auditor.submit("/app/lessons", "/app/lessons", {"text": "Sneaked in"})
    assert answer.status_code == 403
    assert "Auditors read the log; officers write it" in answer.text
    assert [lesson.text for lesson in lessons_in(engine)] == ["Written by an officer"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events_before


def test_search_finds_and_pages_newest_first(signed_in: Any, engine: Engine) -> None:
    """Words in a lesson find it; twenty a page, newest first; the search stays on every
    page's links."""
    person, user, _ = signed_in("legal", name="Lee Okafor")
    with transaction(engine) as session:
        for number in range(1, 46):
            topic = "standstill" if number % 2 else "framework"
            session.add(Lesson(author_id=user.id, text=f"Lesson {number:02d} about the {topic}"))
    page = person.get("/app/lessons?q=Standstill").text
    assert "Showing 1 to 20 of 23 lessons matching your search" in page
    assert "framework" not in page.split("The log")[1]
    numbers = re.findall(r"Lesson (\d\d) about", page)
    assert numbers == [f"{n:02d}" for n in range(45, 5, -2)]
    following = re.search(r'href="([^"]+)" rel="next"', page)
    assert following and "q=Standstill" in following.group(1)
    second = person.get(following.group(1).replace("&amp;", "&")).text
    assert "Showing 21 to 23 of 23 lessons" in second
    assert re.findall(r"Lesson (\d\d) about", second) == ["05", "03", "01"]
    assert "Showing 1 to 20 of 45 lessons" in person.get("/app/lessons").text
    by_author = person.get("/app/lessons?q=okafor").text
    assert "of 45 lessons" in by_author
    nothing = person.get("/app/lessons?q=nowhere").text
    assert "No lessons match your search." in nothing


def test_a_case_you_may_not_read_is_no_case_at_all(
    signed_in: Any,
    engine: Engine,
    settings: Settings,
    make_user: Any,
    helpers: Any,
    client: Any,
) -> None:
    """A lesson cannot be pinned to a case the author may not read (by reference on the page,
    or by id over the API), and the log shows that case's lessons without its reference."""
    case = raise_case(engine, settings, make_user, helpers)
    procurement, _, _ = signed_in("procurement")
    procurement.submit(
        "/app/lessons", "/app/lessons", {"text": "Agree KPIs early", "reference": case.reference}
    )
    stranger, _, token = signed_in("contract_manager")
    refused = stranger.submit(
        "/app/lessons", "/app/lessons", {"text": "Mine", "reference": case.reference}
    )
    assert refused.status_code == 422
    assert "There is no case with that reference" in refused.text
    api = client.post(
        "/lessons", json={"case_id": case.id, "text": "Mine"}, headers=helpers.auth(token)
    )
    assert api.status_code == 404 and case.reference not in api.text
    assert len(lessons_in(engine)) == 1
    log = stranger.get("/app/lessons").text
    assert "Agree KPIs early" in log and f"/app/cases/{case.id}" not in log
    assert "No lessons match your search" in stranger.get(f"/app/lessons?q={case.reference}").text
    assert f">{case.reference}</a>" in procurement.get("/app/lessons").text


def test_the_lessons_page_searches_past_a_control_character(signed_in: Any) -> None:
    browser, _, _ = signed_in("requester")
    response = browser.get("/app/lessons?q=retention%00")
    assert response.status_code == 200
