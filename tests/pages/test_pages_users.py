"""Users for admins: add someone (with an invitation and their API token shown once), change
their roles, switch them off (their browser is signed out at once) and on again, send a new
invitation (the old link stops working); auditors read the list without the forms, everyone
else is refused, and a form that is wrong says so beside the field, keeping what was typed."""

import html
import re
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from lifecycle.models import AuditEvent, Mail, User
from tests.pages.conftest import PASSWORD, Browser

INVITE_LINK = re.compile(r"/app/set-password\?token=([A-Za-z0-9_\-]+)")
SHOWN_ONCE = "shown once"


def user_by_email(engine: Engine, email: str) -> User | None:
    """The stored user with this address."""
    with Session(engine) as session:
        return session.exec(select(User).where(User.email == email)).first()


def invitation_tokens(engine: Engine, email: str) -> list[str]:
    """The tokens of the invitation links mailed to `email`, oldest first."""
    with Session(engine) as session:
        mails = session.exec(
            select(Mail).where(Mail.notification == "invitation").order_by(col(Mail.id))
        ).all()
    return [
        INVITE_LINK.search(mail.text_body).group(1)  # type: ignore[union-attr]
        for mail in mails
        if email in mail.recipients
    ]


def count_users(engine: Engine) -> int:
    """How many users there are."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(User)).one()


def add_user(admin: Browser, **fields: Any) -> Any:
    """Send the add-a-user form."""
    return admin.submit("/app/users/new", "/app/users/new", fields)


def error_beside(page_html: str, field: str) -> str:
    """The error message shown beside a field, in words."""
    found = re.search(
        rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page_html, re.S
    )
    assert found, f"no error beside {field}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).replace("Error:", "").strip()


def test_an_admin_adds_a_user_who_is_invited_and_sees_their_token_once(
    signed_in: Any, browser: Any, engine: Engine
) -> None:
    admin, _, _ = signed_in("admin")
    form = admin.get("/app/users/new")
    assert 'name="invite" type="checkbox" value="yes" checked' in form.text

    answer = add_user(
        admin,
        name="Lee Okafor",
        email="Lee.Okafor@Council.example",
        roles=["legal", "auditor"],
        invite="yes",
    )
    assert answer.status_code == 200, answer.text
    assert "Lee Okafor is added" in answer.text and SHOWN_ONCE in answer.text
    token = re.search(r'<code id="api-token">([^<]+)</code>', answer.text).group(1)  # type: ignore[union-attr]
    assert admin.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["roles"] == [
        "legal",
        "auditor",
    ]
    stored = user_by_email(engine, "lee.okafor@council.example")
    assert stored is not None and stored.roles == "legal,auditor"
    # The token appears on that page only: the list and their page do not carry it.
    assert token not in admin.get("/app/users").text
    assert token not in admin.get(f"/app/users/{stored.id}").text

    [link_token] = invitation_tokens(engine, "lee.okafor@council.example")
    newcomer = browser()
    chosen = newcomer.submit(
        f"/app/set-password?token={link_token}",
        "/app/set-password",
        {"token": link_token, "password": PASSWORD, "confirm": PASSWORD},
    )
    assert chosen.status_code == 303
    assert "Password" in admin.get("/app/users").text
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.case_id == None)).all()  # noqa: E711
    assert {"user_created", "user_invited"} <= set(actions)


def test_without_the_invitation_no_mail_goes(signed_in: Any, engine: Engine) -> None:
    admin, _, _ = signed_in("admin")
    answer = add_user(admin, name="Sam Bot", email="sam@council.example", roles=["requester"])
    assert answer.status_code == 200 and "No invitation was sent" in answer.text
    assert invitation_tokens(engine, "sam@council.example") == []
    assert "No password yet" in admin.get("/app/users").text


def test_the_form_says_what_is_wrong_beside_the_field_and_keeps_what_was_typed(
    signed_in: Any, engine: Engine
) -> None:
    admin, existing, _ = signed_in("admin")
    before = count_users(engine)

    duplicate = add_user(admin, name="Second Admin", email=existing.email.upper(), roles=["admin"])
    assert duplicate.status_code == 409
    assert error_beside(duplicate.text, "email") == "A user with this email address already exists"
    assert 'value="Second Admin"' in duplicate.text
    assert 'value="admin" checked' in duplicate.text
    assert 'href="#email"' in duplicate.text  # the error summary leads to the field

    no_role = add_user(admin, name="Nia Jones", email="nia@council.example", invite="yes")
    assert no_role.status_code == 422
    assert error_beside(no_role.text, "roles") == "Select at least one role"
    assert 'value="nia@council.example"' in no_role.text
    assert 'name="invite" type="checkbox" value="yes" checked' in no_role.text

    bad_email = add_user(admin, name="Nia Jones", email="nia at council", roles=["legal"])
    assert bad_email.status_code == 422
    assert "correct format" in error_beside(bad_email.text, "email")
    assert 'value="nia at council"' in bad_email.text
    assert 'value="legal" checked' in bad_email.text
    # Unticked stays unticked: nobody is invited by a form they corrected.
    assert 'value="yes" checked' not in bad_email.text

    assert count_users(engine) == before


def test_an_admin_changes_roles_but_cannot_remove_their_own_admin_role(
    signed_in: Any, make_user: Any, engine: Engine
) -> None:
    admin, me, _ = signed_in("admin")
    officer, _ = make_user("requester", name="Rita Patel")

    saved = admin.submit(
        f"/app/users/{officer.id}",
        f"/app/users/{officer.id}/roles",
        {"roles": ["requester", "contract_manager"]},
    )
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "Rita Patel’s roles are saved" in page.text
    assert "Requester, Contract manager" in page.text
    assert user_by_email(engine, officer.email).roles == "requester,contract_manager"  # type: ignore[union-attr]

    mine = admin.get(f"/app/users/{me.id}")
    assert "You cannot remove your own admin role" in mine.text
    refused = admin.submit(f"/app/users/{me.id}", f"/app/users/{me.id}/roles", {"roles": ["legal"]})
    assert refused.status_code == 422
    assert "cannot remove your own admin role" in error_beside(refused.text, "roles")
    assert 'value="legal" checked' in refused.text
    assert user_by_email(engine, me.email).roles == "admin"  # type: ignore[union-attr]


def test_deactivating_signs_them_out_at_once_and_reactivating_lets_them_back(
    signed_in: Any, browser: Any, engine: Engine
) -> None:
    admin, me, _ = signed_in("admin")
    leaver_browser, leaver, leaver_token = signed_in("legal", name="Lee Leaver")
    assert leaver_browser.get("/app/", follow_redirects=False).status_code == 200

    confirm = admin.get(f"/app/users/{leaver.id}/deactivate")
    assert "Deactivate Lee Leaver?" in confirm.text and "signed out at once" in confirm.text
    done = admin.submit(
        f"/app/users/{leaver.id}/deactivate", f"/app/users/{leaver.id}/deactivate", {}
    )
    assert done.status_code == 303
    assert "deactivated and signed out everywhere" in admin.get(done.headers["location"]).text

    # Their browser, signed in a moment ago, is sent to sign in; their token stops too.
    gone = leaver_browser.get("/app/", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/app/sign-in")
    assert admin.get("/me", headers={"Authorization": f"Bearer {leaver_token}"}).status_code == 401
    assert "Deactivated" in admin.get("/app/users").text

    back = admin.submit(f"/app/users/{leaver.id}", f"/app/users/{leaver.id}/reactivate", {})
    assert back.status_code == 303
    assert "Lee Leaver is active again" in admin.get(back.headers["location"]).text
    again = browser()
    signed = again.submit(
        "/app/sign-in", "/app/sign-in", {"email": leaver.email, "password": PASSWORD}
    )
    assert signed.status_code == 303 and again.get("/app/").status_code == 200

    # Nobody switches themselves off: no button for it, and a crafted post is refused.
    assert "You cannot deactivate yourself" in admin.get(f"/app/users/{me.id}").text
    refused = admin.submit(f"/app/users/{me.id}", f"/app/users/{me.id}/deactivate", {})
    assert refused.status_code == 409 and "cannot deactivate yourself" in refused.text
    assert user_by_email(engine, me.email).active  # type: ignore[union-attr]


def test_a_new_invitation_stops_the_old_link(signed_in: Any, browser: Any, engine: Engine) -> None:
    admin, _, _ = signed_in("admin")
    add_user(
        admin, name="Ola Nowak", email="ola@council.example", roles=["requester"], invite="yes"
    )
    ola = user_by_email(engine, "ola@council.example")
    assert ola is not None
    assert "Invitation sent" in admin.get(f"/app/users/{ola.id}").text

    sent = admin.submit(f"/app/users/{ola.id}", f"/app/users/{ola.id}/invite", {})
    assert sent.status_code == 303
    assert "An invitation is on its way to Ola Nowak" in admin.get(sent.headers["location"]).text
    first, second = invitation_tokens(engine, "ola@council.example")
    person = browser()
    old = person.get(f"/app/set-password?token={first}")
    assert old.status_code == 410 and "already been used" in old.text
    assert person.get(f"/app/set-password?token={second}").status_code == 200


def test_an_auditor_reads_the_list_without_the_forms(signed_in: Any, make_user: Any) -> None:
    auditor, _, _ = signed_in("auditor")
    officer, _ = make_user("procurement", name="Pat Byrne")
    listing = auditor.get("/app/users")
    assert listing.status_code == 200
    assert "Pat Byrne" in listing.text and officer.email in listing.text
    assert "Procurement" in listing.text
    assert "Add a user" not in listing.text
    detail = auditor.get(f"/app/users/{officer.id}")
    assert detail.status_code == 200 and "Pat Byrne" in detail.text
    assert "<form" not in detail.text.split("</header>", 1)[1].split("govuk-footer", 1)[0]
    assert auditor.get("/app/users/new").status_code == 403
    assert auditor.get(f"/app/users/{officer.id}/deactivate").status_code == 403


def test_everyone_else_is_refused_and_nothing_is_written(
    signed_in: Any, make_user: Any, engine: Engine
) -> None:
    requester, _, _ = signed_in("requester")
    auditor, _, _ = signed_in("auditor")
    officer, _ = make_user("legal")
    assert requester.get("/app/users").status_code == 403
    assert requester.get(f"/app/users/{officer.id}").status_code == 403
    before = count_users(engine)

    # The forms are refused by the services whoever posts them, with the page's own token.
    posted = requester.submit(
        "/app/", "/app/users/new", {"name": "Eve", "email": "eve@council.example", "roles": "admin"}
    )
    assert posted.status_code == 403 and "needs the role admin" in posted.text
    assert count_users(engine) == before
    for action, fields in (
        ("roles", {"roles": ["admin"]}),
        ("deactivate", {}),
        ("invite", {}),
    ):
        answer = auditor.submit("/app/users", f"/app/users/{officer.id}/{action}", fields)
        assert answer.status_code == 403, action
    stored = user_by_email(engine, officer.email)
    assert stored is not None and stored.roles == "legal" and stored.active
    assert invitation_tokens(engine, officer.email) == []
