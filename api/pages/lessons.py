"""The lessons-learned log: read and search it; officers add to it, about a case or not."""

from math import ceil
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.pages import forms
from api.pages.forms import FormErrors
from api.pages.paging import pagination
from api.pages.register import page_number
from api.pages.web import Form, Page, SignedInPage
from lifecycle.schemas import LessonIn
from lifecycle.services import cases, lessons

router = APIRouter(prefix="/app", include_in_schema=False)

PAGE_SIZE = 20
MAX_SEARCH_CHARS = 200
LABELS = {"text": "What was learned", "reference": "Reference"}


def _link(q: str, number: int) -> str:
    """The log at page `number` of the search `q`."""
    params = [("q", q)] if q else []
    params += [("page", str(number))] if number > 1 else []
    return "/app/lessons" + (f"?{urlencode(params)}" if params else "")


def _show(
    page: Page,
    *,
    q: str = "",
    number: int = 1,
    values: dict[str, str],
    errors: FormErrors | None = None,
) -> Response:
    """The log, a page at a time, with the form to add to it."""
    found, total = lessons.log(
        page.db, reader=page.me, text=q or None, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    last = max(1, ceil(total / PAGE_SIZE))
    if number > last:
        number = last
        found, total = lessons.log(
            page.db,
            reader=page.me,
            text=q or None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
    return page.render(
        "pages/lessons.html",
        status_code=errors.status_code if errors else 200,
        title="Lessons learned",
        section="lessons",
        errors=errors,
        values=values,
        q=q,
        found=found,
        total=total,
        first_shown=(number - 1) * PAGE_SIZE + 1,
        last_shown=(number - 1) * PAGE_SIZE + len(found),
        # Paging lands on the log itself, below the form for adding to it.
        pagination=pagination(number, last, lambda each: _link(q, each) + "#log"),
    )


def _prefilled_reference(page: Page, typed: FormData) -> str:
    """The reference of the case a person came from (`?case_id=`), if they may read it."""
    case_id = forms.whole_number(forms.text(typed, "case_id"), max_digits=10)
    if case_id is None:
        return ""
    case = page.attempt(lambda: cases.get_visible(page.db, case_id=case_id, user=page.me), LABELS)
    return "" if isinstance(case, FormErrors) else case.reference


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(page: SignedInPage) -> Response:
    """Search the log, newest first; `?case_id=` starts a lesson about that case."""
    pairs: list[tuple[str, str | UploadFile]] = list(page.request.query_params.multi_items())
    typed = FormData(pairs)
    return _show(
        page,
        q=forms.text(typed, "q")[:MAX_SEARCH_CHARS],
        number=page_number(typed),
        values={"text": "", "reference": _prefilled_reference(page, typed)},
    )


def _merge(errors: FormErrors, result: object) -> bool:
    """Add a refusal's errors to `errors`; True when `result` was one."""
    if not isinstance(result, FormErrors):
        return False
    for name, message in result.by_field.items():
        errors.add(name, message)
    return True


@router.post("/lessons", response_class=HTMLResponse)
def add_lesson(page: SignedInPage, data: Form) -> Response:
    """Log a lesson; a case reference, when given, links it to that case."""
    text, reference = forms.text(data, "text"), forms.text(data, "reference")
    errors = FormErrors()
    checked = page.attempt(lambda: LessonIn(text=text), LABELS)
    _merge(errors, checked)
    if reference:
        case = page.attempt(
            lambda: cases.by_reference(page.db, reference=reference, user=page.me), LABELS
        )
        if isinstance(case, FormErrors):
            _merge(errors, case)
        elif isinstance(checked, LessonIn):
            checked = checked.model_copy(update={"case_id": case.id})
    if not errors and isinstance(checked, LessonIn):
        added = page.attempt(lambda: lessons.add(page.db, user=page.me, lesson=checked), LABELS)
        if isinstance(added, FormErrors) and added.status_code == 403:
            return page.render(
                "pages/error.html",
                status_code=403,
                title="You cannot do this",
                message=next(iter(added.by_field.values()), ""),
            )
        if not _merge(errors, added):
            return page.redirect("/app/lessons", flash="Your lesson is in the log.")
    return _show(page, values={"text": text, "reference": reference}, errors=errors)
