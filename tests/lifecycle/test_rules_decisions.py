"""Who may decide a gate, what they may decide, and the Transparency Code register fields."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.rules import (
    ALLOWED_DECISIONS,
    GATE_ROLE,
    GATE_STAGE,
    REGISTER_REQUIRED_FIELDS,
    Decision,
    GateKind,
    Role,
    Stage,
    may_decide,
    register_missing,
)

# --- may_decide -----------------------------------------------------------------------------

EXPECTED_ROLE = {
    GateKind.LEGAL_CONSULTATION: Role.LEGAL,
    GateKind.AWARD_APPROVAL: Role.PROCUREMENT,
    GateKind.SIGNING_CONFIRMATION: Role.LEGAL,
    GateKind.REGISTER_VERIFICATION: Role.PROCUREMENT,
    GateKind.CLOSURE: Role.PROCUREMENT,
}


def test_gate_roles_follow_the_domain() -> None:
    assert GATE_ROLE == EXPECTED_ROLE


def test_gate_stages_follow_the_domain() -> None:
    assert GATE_STAGE == {
        GateKind.LEGAL_CONSULTATION: Stage.LEGAL_CONSULTATION,
        GateKind.AWARD_APPROVAL: Stage.PROCUREMENT,
        GateKind.SIGNING_CONFIRMATION: Stage.SIGNING,
        GateKind.REGISTER_VERIFICATION: Stage.REGISTER_ENTRY,
        GateKind.CLOSURE: Stage.EXIT,
    }


@pytest.mark.parametrize("kind", list(GateKind))
def test_the_right_role_may_decide(kind: GateKind) -> None:
    assert may_decide([EXPECTED_ROLE[kind]], user_id=2, requester_id=1, kind=kind) == ""


@pytest.mark.parametrize("kind", list(GateKind))
def test_the_requester_may_not_decide_even_with_the_role(kind: GateKind) -> None:
    refusal = may_decide(list(Role), user_id=7, requester_id=7, kind=kind)
    assert refusal
    assert "requester" in refusal


@pytest.mark.parametrize("kind", list(GateKind))
@pytest.mark.parametrize("role", list(Role))
def test_a_wrong_role_may_not_decide(kind: GateKind, role: Role) -> None:
    refusal = may_decide([role], user_id=2, requester_id=1, kind=kind)
    if role is EXPECTED_ROLE[kind]:
        assert refusal == ""
    else:
        assert refusal
        assert EXPECTED_ROLE[kind].value in refusal


@pytest.mark.parametrize("kind", list(GateKind))
def test_no_roles_may_not_decide(kind: GateKind) -> None:
    assert may_decide([], user_id=2, requester_id=1, kind=kind)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN, Role.REQUESTER, Role.CONTRACT_MANAGER])
def test_auditor_admin_requester_and_manager_decide_no_gate(role: Role) -> None:
    for kind in GateKind:
        assert may_decide([role], user_id=2, requester_id=1, kind=kind)


@settings(max_examples=300)
@given(
    roles=st.lists(st.sampled_from(list(Role)), unique=True),
    user_id=st.integers(min_value=1, max_value=5),
    requester_id=st.integers(min_value=1, max_value=5),
    kind=st.sampled_from(list(GateKind)),
)
def test_may_decide_iff_role_held_and_not_requester(
    roles: list[Role], user_id: int, requester_id: int, kind: GateKind
) -> None:
    allowed = EXPECTED_ROLE[kind] in roles and user_id != requester_id
    assert (may_decide(roles, user_id, requester_id, kind) == "") is allowed


# --- ALLOWED_DECISIONS ----------------------------------------------------------------------


def test_every_gate_has_allowed_decisions() -> None:
    assert set(ALLOWED_DECISIONS) == set(GateKind)


@pytest.mark.parametrize("kind", list(GateKind))
def test_every_gate_can_approve_and_request_changes(kind: GateKind) -> None:
    assert {Decision.APPROVE, Decision.REQUEST_CHANGES} <= ALLOWED_DECISIONS[kind]


@pytest.mark.parametrize("kind", [GateKind.LEGAL_CONSULTATION, GateKind.AWARD_APPROVAL])
def test_legal_and_award_gates_may_reject(kind: GateKind) -> None:
    assert Decision.REJECT in ALLOWED_DECISIONS[kind]


@pytest.mark.parametrize(
    "kind",
    [GateKind.SIGNING_CONFIRMATION, GateKind.REGISTER_VERIFICATION, GateKind.CLOSURE],
)
def test_later_gates_cannot_reject(kind: GateKind) -> None:
    assert Decision.REJECT not in ALLOWED_DECISIONS[kind]


# --- register_missing -----------------------------------------------------------------------

DOMAIN_REQUIRED = (
    "reference",
    "title",
    "department",
    "description",
    "supplier_name",
    "start_date",
    "end_date",
    "review_date",
    "value_pence",
    "procurement_process",
    "contract_manager_name",
)


def complete_entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "reference": "PR-2026-0001",
        "ocid": "ocds-procure-PR-2026-0001",
        "title": "Grounds maintenance",
        "department": "Environment",
        "description": "Grass cutting and hedges",
        "supplier_name": "Green Ltd",
        "supplier_registration_number": None,
        "sme": False,
        "vcse": False,
        "start_date": date(2026, 4, 1),
        "end_date": date(2028, 3, 31),
        "review_date": date(2027, 4, 1),
        "value_pence": 12_000_00,
        "irrecoverable_vat_pence": 0,
        "procurement_process": "Invitation to quote (three written quotes)",
        "contract_manager_name": "A. Manager",
    }
    entry.update(overrides)
    return entry


def test_required_fields_cover_the_transparency_code_list() -> None:
    assert set(DOMAIN_REQUIRED) <= set(REGISTER_REQUIRED_FIELDS)


def test_complete_entry_misses_nothing() -> None:
    assert register_missing(complete_entry()) == []


@pytest.mark.parametrize("name", DOMAIN_REQUIRED)
@pytest.mark.parametrize("empty", [None, ""])
def test_each_required_field_empty_is_missing(name: str, empty: object) -> None:
    assert register_missing(complete_entry(**{name: empty})) == [name]


@pytest.mark.parametrize("name", DOMAIN_REQUIRED)
def test_each_required_field_absent_is_missing(name: str) -> None:
    entry = complete_entry()
    del entry[name]
    assert register_missing(entry) == [name]


def test_empty_entry_misses_every_required_field() -> None:
    assert set(register_missing({})) == set(DOMAIN_REQUIRED)


def test_zero_vat_and_false_flags_are_values_not_gaps() -> None:
    assert register_missing(complete_entry(irrecoverable_vat_pence=0, sme=False)) == []


@pytest.mark.parametrize("flag", ["sme", "vcse"])
@pytest.mark.parametrize("number", [None, ""])
def test_sme_or_vcse_needs_registration_number(flag: str, number: object) -> None:
    missing = register_missing(
        complete_entry(**{flag: True, "supplier_registration_number": number})
    )
    assert missing == ["supplier_registration_number"]


@pytest.mark.parametrize("flag", ["sme", "vcse"])
def test_sme_or_vcse_with_number_is_complete(flag: str) -> None:
    entry = complete_entry(**{flag: True, "supplier_registration_number": "01234567"})
    assert register_missing(entry) == []


def test_non_sme_non_vcse_supplier_needs_no_number() -> None:
    assert register_missing(complete_entry(supplier_registration_number=None)) == []


@settings(max_examples=200)
@given(
    blanks=st.sets(st.sampled_from(DOMAIN_REQUIRED)),
    sme=st.booleans(),
    vcse=st.booleans(),
    number=st.sampled_from([None, "", "RC000123"]),
)
def test_register_missing_reports_exactly_the_gaps(
    blanks: set[str], sme: bool, vcse: bool, number: str | None
) -> None:
    entry = complete_entry(sme=sme, vcse=vcse, supplier_registration_number=number)
    entry.update(dict.fromkeys(blanks))
    expected = set(blanks)
    if (sme or vcse) and not number:
        expected.add("supplier_registration_number")
    missing = register_missing(entry)
    assert set(missing) == expected
    assert len(missing) == len(expected)
