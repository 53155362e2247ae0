"""Mail without SMTP: every notification waits in the outbox, readable over the API; admins
(and auditors) see all of it, everyone else only mail addressed to them."""

from typing import Any

from fastapi.testclient import TestClient


def test_gate_opened_mail_waits_in_the_outbox_readable_by_admin(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    requester, requester_token = make_user("requester", name="Rita Requester")
    legal, legal_token = make_user("legal")
    other_legal, _ = make_user("legal")
    _, admin_token = make_user("admin")
    as_ = helpers.auth

    body = helpers.purchase_request(title="Parks & open spaces <grounds> maintenance")
    response = client.post("/cases", json=body, headers=as_(requester_token))
    assert response.status_code == 201, response.text
    case = response.json()
    assert client.get("/outbox/mail", headers=as_(admin_token)).json() == []
    run_flows()

    mail = client.get("/outbox/mail", headers=as_(admin_token)).json()
    opened = [m for m in mail if m["notification"] == "gate_opened"]
    assert len(opened) == 1
    gate_mail = opened[0]
    assert gate_mail["status"] == "pending"
    assert gate_mail["sent_at"] is None and gate_mail["attempts"] == 0
    assert gate_mail["case_id"] == case["id"]
    assert sorted(gate_mail["recipients"]) == sorted([legal.email, other_legal.email])
    assert requester.email not in gate_mail["recipients"]

    subject, text = gate_mail["subject"], gate_mail["text_body"]
    assert case["reference"] in subject
    assert "early legal consultation" in subject
    assert "\n" not in subject
    assert "Parks & open spaces <grounds> maintenance" in text  # plain text, not HTML-escaped
    assert "&amp;" not in text and "&lt;" not in text
    assert "Rita Requester" in text
    assert "£450,000.00" in text
    assert f"/cases/{case['id']}" in text
    assert "{{" not in subject + text and "{%" not in subject + text
    assert "<" not in text.replace("<grounds>", "")  # no HTML markup in the text body

    assert "request_received" in [m["notification"] for m in mail]
    assert all(m["status"] == "pending" for m in mail)
    pending = client.get("/outbox/mail?status=pending", headers=as_(admin_token)).json()
    assert [m["id"] for m in pending] == [m["id"] for m in mail]
    assert client.get("/outbox/mail?status=sent", headers=as_(admin_token)).json() == []
    by_case = client.get(f"/outbox/mail?case_id={case['id']}", headers=as_(admin_token)).json()
    assert [m["id"] for m in by_case] == [m["id"] for m in mail]
    assert client.get("/outbox/mail?status=bogus", headers=as_(admin_token)).status_code == 422

    # Legal sees the gate mail addressed to them, not the requester's acknowledgement.
    legal_mail = client.get("/outbox/mail", headers=as_(legal_token)).json()
    assert [m["notification"] for m in legal_mail] == ["gate_opened"]
    assert all(legal.email in m["recipients"] for m in legal_mail)
    # The requester sees their acknowledgement, not the deciders' mail.
    requester_mail = client.get("/outbox/mail", headers=as_(requester_token)).json()
    assert [m["notification"] for m in requester_mail] == ["request_received"]
    assert all(m["recipients"] == [requester.email] for m in requester_mail)
    # Someone no mail was addressed to sees none.
    _, buyer_token = make_user("procurement")
    assert client.get("/outbox/mail", headers=as_(buyer_token)).json() == []
    assert client.get("/outbox/mail").status_code == 401


def test_non_admin_sees_only_their_own_mail_across_cases(
    client: TestClient, make_user: Any, helpers: Any, run_flows: Any
) -> None:
    first, first_token = make_user("requester")
    second, second_token = make_user("requester")
    _, auditor_token = make_user("auditor")
    as_ = helpers.auth
    for token in (first_token, second_token):
        response = client.post("/cases", json=helpers.purchase_request(), headers=as_(token))
        assert response.status_code == 201, response.text
    run_flows()

    everything = client.get("/outbox/mail", headers=as_(auditor_token)).json()
    assert len([m for m in everything if m["notification"] == "request_received"]) == 2
    for user, token in ((first, first_token), (second, second_token)):
        own = client.get("/outbox/mail", headers=as_(token)).json()
        assert len(own) == 1
        assert own[0]["recipients"] == [user.email]
        case_id = own[0]["case_id"]
        other_case = next(m["case_id"] for m in everything if m["case_id"] != case_id)
        assert client.get(f"/outbox/mail?case_id={other_case}", headers=as_(token)).json() == []


def test_an_invitation_link_in_the_outbox_is_shown_to_admins_and_its_recipient_only(
    client: TestClient, engine: Any, make_user: Any, helpers: Any, settings: Any
) -> None:
    """An auditor reads all mail but not a one-time link that would let them set someone's
    password; the admin who sends invitations and the invitee do see it."""
    from lifecycle.db import transaction
    from lifecycle.services import accounts

    invitee, invitee_token = make_user("requester")
    _, admin_token = make_user("admin")
    _, auditor_token = make_user("auditor")
    with transaction(engine) as session:
        _, token = accounts.invite(session, user=invitee, invited_by=None, settings=settings)

    def invitation_body(api_token: str) -> str:
        mail = client.get("/outbox/mail", headers=helpers.auth(api_token)).json()
        [invitation] = [m for m in mail if m["notification"] == "invitation"]
        return str(invitation["text_body"])

    assert token not in invitation_body(auditor_token)
    assert "one-time link" in invitation_body(auditor_token)
    assert token in invitation_body(admin_token)
    assert token in invitation_body(invitee_token)
