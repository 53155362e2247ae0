"""The case page drawn from the API's own view of a case (`api.views.case_detail`), with the
actions `lifecycle.actions` opens to the person looking, and any form they just sent kept."""

from dataclasses import dataclass, replace
from datetime import date

from fastapi.responses import Response

from api import views
from api.pages import case_changes, case_words
from api.pages.formatting import pounds_input
from api.pages.forms import FormErrors, date_parts
from api.pages.web import Page
from lifecycle import actions, clock
from lifecycle.actions import Action, CaseState, Person
from lifecycle.notices import publishes_notices
from lifecycle.rules import (
    CHANGES_ANSWERED_BY,
    Decision,
    GateKind,
    Outcome,
    Party,
    Role,
    Route,
    Stage,
    Status,
    stage_path,
)
from lifecycle.services import cases, delegations, expiry, performance, users

# Each form on the page, by the id its errors link to, and the action it carries out.
FORMS = {
    "decide": Action.DECIDE,
    "change-request": Action.CHANGE_REQUEST,
    "resubmit": Action.RESUBMIT,
    "add-bid": Action.ADD_BID,
    "recommend": Action.RECOMMEND_AWARD,
    "award-notice": Action.PUBLISH_AWARD_NOTICE,
    "upload": Action.UPLOAD_DOCUMENT,
    "contract": Action.RECORD_CONTRACT,
    "manager": Action.NAME_MANAGER,
    "register": Action.EDIT_REGISTER,
    "register-submit": Action.SUBMIT_REGISTER,
    "review": Action.SUBMIT_REVIEW,
    "exit": Action.START_EXIT,
    "kpi": Action.SET_KPI,
    "fewer-kpis": Action.RECORD_FEWER_KPIS_REASON,
    "assessment": Action.ASSESS_KPIS,
    "variation": Action.PROPOSE_VARIATION,
    "variation-decision": Action.DECIDE_VARIATION,
    "expiry": Action.DECIDE_EXPIRY,
    "termination": Action.TERMINATE,
    "notice": Action.RECORD_TERMINATION_NOTICE,
}
# Where errors go when their form is not on the page (the person may not take that action).
NO_FORM = "next-steps"
KPI_ROWS = 3
PARTY_WORDS = {
    Party.REQUESTER: "the requester",
    Party.PROCUREMENT_TEAM: "the procurement team",
    Party.CONTRACT_MANAGER: "the contract manager",
}


@dataclass(frozen=True)
class Step:
    """One stage on the case's progress line, and where the case stands against it."""

    name: str
    state: str  # done | current | ended | todo
    words: str


def case_state(detail: views.CaseDetail) -> CaseState:
    """The plain facts the action guards need, from the API's view of the case."""
    approved = {GateKind(gate.kind) for gate in detail.gates if gate.decision == "approve"}
    return CaseState(
        reference=detail.reference,
        stage=Stage(detail.stage),
        status=Status(detail.status),
        route=Route(detail.route),
        contract=detail.needs_contract,
        requester_id=detail.requester_id,
        contract_manager_id=detail.contract_manager_id,
        pending_gate=GateKind(detail.pending_gate.kind) if detail.pending_gate else None,
        award_approved=GateKind.AWARD_APPROVAL in approved,
        award_notice_published_on=detail.award_notice_published_on,
        contract_recorded=detail.contract_record is not None,
        signed_contract_held=any(d.document_type == "contractSigned" for d in detail.documents),
        bids=len(detail.bids),
        # Who did what, oldest first: the guards find who prepared what a gate decides.
        events=tuple((event.actor_id, event.action) for event in detail.timeline),
    )


def progress_line(detail: views.CaseDetail) -> list[Step]:
    """The stages of this case's path, each marked in words as done, current or to come."""
    path = stage_path(detail.needs_contract)
    here = path.index(Stage(detail.stage))
    closed = detail.status == Status.CLOSED.value
    ended_words = "Rejected here" if detail.outcome == Outcome.REJECTED.value else "Completed"
    steps = []
    for index, stage in enumerate(path):
        name = case_words.STAGES[stage]
        if index < here:
            steps.append(Step(name, "done", "Done"))
        elif index == here and closed:
            steps.append(Step(name, "ended", ended_words))
        elif index == here:
            steps.append(Step(name, "current", "Current stage"))
        else:
            steps.append(Step(name, "todo", "Not reached" if closed else "Not started"))
    return steps


def sent_back(detail: views.CaseDetail) -> tuple[views.GateView, str] | None:
    """The decision that asked for changes the case still waits on, and who answers it."""
    if detail.status != Status.CHANGES_REQUESTED.value:
        return None
    asked = [gate for gate in detail.gates if gate.decision == Decision.REQUEST_CHANGES.value]
    if not asked:
        return None
    return asked[-1], PARTY_WORDS[CHANGES_ANSWERED_BY[GateKind(asked[-1].kind)]]


def defaults(detail: views.CaseDetail) -> dict[str, str]:
    """What the forms show before anything is typed: the values the case already holds."""
    values = {
        "request_title": detail.title,
        "request_description": detail.description,
        "request_department": detail.department,
        "request_value": pounds_input(detail.estimated_value_pence),
        "request_vat": pounds_input(detail.irrecoverable_vat_pence),
        **_date_boxes("request_needed_by", detail.needed_by),
    }
    entry = detail.register_entry
    if entry is not None:
        values.update(
            supplier_registration_number=entry.supplier_registration_number or "",
            procurement_process=entry.procurement_process or "",
            register_description=entry.description,
            **_date_boxes("review_date", entry.review_date),
        )
    contract = detail.contract_record
    if contract is not None:
        for name in ("start_date", "end_date", "supplier_signed_on", "council_signed_on"):
            values.update(_date_boxes(name, getattr(contract, name)))
        values["late_signing_reason"] = contract.late_signing_reason or ""
    return values


def _date_boxes(name: str, value: date | None) -> dict[str, str]:
    """A date as the three boxes of a GOV.UK date input."""
    return {f"{name}-{part}": text for part, text in date_parts(value).items()}


def _placed(errors: FormErrors, form: str, shown: frozenset[Action]) -> FormErrors:
    """Errors of a form the page does not show (its action is not open to this person) are
    listed against the next-steps heading instead of a field that is not there."""
    if not form or FORMS[form] in shown:
        return errors
    placed = FormErrors(status_code=errors.status_code)
    for message in errors.by_field.values():
        placed.add(NO_FORM, message)
    return placed


def show(
    page: Page,
    case_id: int,
    *,
    errors: FormErrors | None = None,
    typed: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    """The case page; after a refused form, with its errors and what was typed in it."""
    case = cases.get_visible(page.db, case_id=case_id, user=page.me)
    detail = views.case_detail(page.db, case)
    kpis = views.PerformanceView.model_validate(
        performance.performance(page.db, case=case, settings=page.settings)
    )
    state = replace(
        case_state(detail),
        kpis=len(kpis.kpis),
        kpis_short=bool(kpis.shortfall),
        ending=expiry.end_state(page.db, case=case),
    )
    assert page.me.id is not None
    me = Person(id=page.me.id, roles=tuple(users.roles_of(page.me)))
    shown = actions.open_actions(state, me)
    people = users.case_people(page.db, case=case)
    managers = (
        users.with_role(page.db, role=Role.CONTRACT_MANAGER) if Action.NAME_MANAGER in shown else []
    )
    errors = _placed(errors, form, shown) if errors else None
    gate = detail.pending_gate
    return page.render(
        "pages/case.html",
        status_code=errors.status_code if errors else 200,
        title=f"{detail.reference}: {detail.title}",
        section="cases",
        case=detail,
        steps=progress_line(detail),
        sent_back=sent_back(detail),
        overdue=gate is not None and gate.due_on < clock.today(),
        requester=people.requester,
        manager=people.manager,
        names={event.actor_id: event.actor for event in detail.timeline if event.actor_id},
        state=state,
        shown=shown,
        Action=Action,
        decisions=actions.decisions(state, me),
        # Colleagues away whose gate this person may decide by delegation (both names kept).
        behalf=(
            delegations.stand_in_for(page.db, me=page.me, case=case)
            if Action.DECIDE in shown
            else []
        ),
        not_yet=actions.not_yet(state, me),
        managers=managers,
        errors=errors,
        wrong=errors.by_field if errors else {},
        values={**defaults(detail), **(typed or {})},
        form=form,
        kpi_rows=range(1, KPI_ROWS + 1),
        notices_apply=publishes_notices(Route(detail.route)),
        performance=kpis,
        changes=case_changes.panel(
            page.db, case, page.settings, ending=state.ending, me=me, user=page.me
        ),
        words=case_words,
        timeline=list(reversed(detail.timeline)),
    )
