"""The admin's command line: create users with roles (token shown once, stored hashed), rotate
a token, deactivate a leaver; bad input exits 2 with a message and writes nothing."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from lifecycle.models import User


def token_from(output: str) -> str:
    return output.strip().splitlines()[-1].rsplit(" ", 1)[-1]


def test_create_rotate_and_deactivate(
    cli: Any, client: TestClient, engine: Engine, helpers: Any
) -> None:
    code, out, _ = cli(
        "users",
        "create",
        "--name",
        "Lee Okafor",
        "--email",
        "Lee@Council.example",
        "--role",
        "legal",
        "--role",
        "auditor",
    )
    assert code == 0 and "roles=legal,auditor" in out
    token = token_from(out)
    with Session(engine) as session:
        stored = session.exec(select(User)).one()
    assert stored.email == "lee@council.example" and token not in stored.token_hash
    assert client.get("/me", headers=helpers.auth(token)).json()["roles"] == ["legal", "auditor"]

    code, out, _ = cli("users", "rotate-token", "--email", "lee@council.example")
    new_token = token_from(out)
    assert code == 0 and new_token != token
    assert client.get("/me", headers=helpers.auth(token)).status_code == 401
    assert client.get("/me", headers=helpers.auth(new_token)).status_code == 200

    assert cli("users", "deactivate", "--email", "lee@council.example")[0] == 0
    assert client.get("/me", headers=helpers.auth(new_token)).status_code == 401
    assert "inactive" in cli("users", "list")[1]


def test_bad_input_exits_2_and_writes_nothing(cli: Any, engine: Engine) -> None:
    assert (
        cli(
            "users", "create", "--name", "A", "--email", "a@council.example", "--role", "requester"
        )[0]
        == 0
    )
    for args, message in (
        (("--name", "B", "--email", "a@council.example", "--role", "legal"), "already exists"),
        (("--name", " ", "--email", "b@council.example", "--role", "legal"), "name"),
        (("--name", "B", "--email", "not-an-email", "--role", "legal"), "email"),
    ):
        code, _, err = cli("users", "create", *args)
        assert code == 2 and message in err
    code, _, err = cli("users", "rotate-token", "--email", "nobody@council.example")
    assert code == 2 and "no user" in err
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 1
