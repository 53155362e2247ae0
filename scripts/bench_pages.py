"""Page render times beside the JSON read of the same data, with 10,000 cases.

Seeds a throwaway database with cases spread over every stage (gates, bids, contracts,
register entries, reviews, lessons, audit events), then times each page and its JSON twin
in-process (server time: routing, queries, rendering; no network). Prints median and p95 in
milliseconds. Run it with `scripts/bench-pages` (add `--postgres` for the local server)."""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from api.app import create_app
from api.deps import get_session, sessions_on
from lifecycle.db import make_engine, transaction
from lifecycle.models import (
    AuditEvent,
    Bid,
    Case,
    Contract,
    Gate,
    Lesson,
    RegisterEntry,
    Review,
    utcnow,
)
from lifecycle.rules import GATE_ROLE, GateKind, Stage, Status
from lifecycle.services import accounts, users
from lifecycle.settings import Settings, get_settings

PASSWORD = "correct horse battery staple"
DEPARTMENTS = ["Adults", "Children", "Environment", "Highways", "Housing", "IT", "Finance"]
GATE_OF_STAGE = {
    Stage.LEGAL_CONSULTATION: GateKind.LEGAL_CONSULTATION,
    Stage.PROCUREMENT: GateKind.AWARD_APPROVAL,
    Stage.SIGNING: GateKind.SIGNING_CONFIRMATION,
    Stage.REGISTER_ENTRY: GateKind.REGISTER_VERIFICATION,
    Stage.EXIT: GateKind.CLOSURE,
}


def seed(engine: Engine, count: int) -> dict[str, int]:
    """`count` cases over every stage; returns the ids the timings read."""
    rng = random.Random(7)
    with transaction(engine) as session:
        people: dict[str, int] = {}
        for role in ("requester", "legal", "procurement", "contract_manager", "auditor", "admin"):
            user, _ = users.create(
                session, name=f"{role.title()} Bench", email=f"{role}@bench.example", roles=[role]
            )
            accounts.set_password(session, user=user, password=PASSWORD)
            assert user.id is not None
            people[role] = user.id
    stages = list(Stage)
    today = date.today()
    with Session(engine) as session:
        for number in range(1, count + 1):
            stage = stages[number % len(stages)]
            value = rng.choice([3_000_00, 12_000_00, 80_000_00, 450_000_00, 6_000_000_00])
            case = Case(
                reference=f"PR-2026-{number:05d}",
                ocid=f"ocds-bench-PR-2026-{number:05d}",
                title=f"Contract {number} for {rng.choice(DEPARTMENTS).lower()} services",
                description="Seeded for the page benchmark.",
                category="services",
                department=rng.choice(DEPARTMENTS),
                estimated_value_pence=value,
                needed_by=today + timedelta(days=90),
                contract_required=True,
                route="above_threshold" if value >= 207_720_00 else "below_threshold",
                contract=True,
                stage=stage.value,
                status=(
                    Status.AWAITING_DECISION.value
                    if stage in GATE_OF_STAGE
                    else Status.IN_PROGRESS.value
                ),
                requester_id=people["requester"],
                contract_manager_id=people["contract_manager"]
                if stages.index(stage) >= stages.index(Stage.REGISTER_ENTRY)
                else None,
            )
            session.add(case)
            session.flush()
            assert case.id is not None
            for step in range(6):
                session.add(
                    AuditEvent(
                        case_id=case.id,
                        actor_id=people["requester"],
                        action="stage_entered" if step else "case_created",
                        to_stage=stages[min(step, stages.index(stage))].value,
                        to_status=Status.IN_PROGRESS.value,
                        detail={"step": step},
                    )
                )
            if stage in GATE_OF_STAGE:
                kind = GATE_OF_STAGE[stage]
                session.add(
                    Gate(
                        case_id=case.id,
                        kind=kind.value,
                        role=GATE_ROLE[kind].value,
                        due_on=today + timedelta(days=rng.randint(-10, 10)),
                    )
                )
            if stages.index(stage) >= stages.index(Stage.PROCUREMENT):
                for bid_number in range(3):
                    session.add(
                        Bid(
                            case_id=case.id,
                            supplier_name=f"Supplier {rng.randint(1, 400)} Ltd",
                            registration_number=f"{rng.randint(10**7, 10**8 - 1)}",
                            price_pence=value - bid_number * 100,
                            created_by=people["procurement"],
                        )
                    )
            if stages.index(stage) >= stages.index(Stage.REGISTER_ENTRY):
                start = today - timedelta(days=rng.randint(0, 700))
                session.add(
                    Contract(
                        case_id=case.id,
                        start_date=start,
                        end_date=start + timedelta(days=365 * 3),
                        supplier_signed_on=start - timedelta(days=10),
                        council_signed_on=start - timedelta(days=9),
                        next_review_due=today + timedelta(days=rng.randint(-30, 90)),
                        recorded_by=people["legal"],
                    )
                )
                published = stages.index(stage) >= stages.index(Stage.MONITORING)
                session.add(
                    RegisterEntry(
                        case_id=case.id,
                        status="published" if published else "draft",
                        reference=case.reference,
                        ocid=case.ocid,
                        title=case.title,
                        department=case.department,
                        description=case.description,
                        supplier_name=f"Supplier {rng.randint(1, 400)} Ltd",
                        supplier_registration_number="01234567",
                        start_date=start,
                        end_date=start + timedelta(days=365 * 3),
                        review_date=start + timedelta(days=180),
                        value_pence=value,
                        procurement_process="Published tender",
                        contract_manager_name="Contract_Manager Bench",
                        published_at=utcnow() if published else None,
                    )
                )
            if stage in (Stage.MONITORING, Stage.EXIT):
                session.add(
                    Review(
                        case_id=case.id,
                        period_start=today - timedelta(days=90),
                        period_end=today,
                        rag="green",
                        submitted_by=people["contract_manager"],
                    )
                )
            if stage is Stage.EXIT:
                session.add(
                    Lesson(case_id=case.id, author_id=people["procurement"], text="Plan early.")
                )
            if number % 1000 == 0:
                session.commit()
        session.commit()
        monitoring = session.exec(
            select(Case.id).where(Case.stage == Stage.MONITORING.value).order_by(col(Case.id))
        ).first()
    assert monitoring is not None
    return {"case_id": monitoring}


@contextmanager
def app_over(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The app on the seeded database."""
    app = create_app()

    app.dependency_overrides[get_session] = partial(sessions_on, engine)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as client:
        yield client


def signed_in(client: TestClient, email: str) -> TestClient:
    """A browser signed in as `email` through the sign-in form."""
    page = client.get("/app/sign-in").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/app/sign-in",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def timed(client: TestClient, url: str, headers: dict[str, str], runs: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `runs` GETs of `url` (after two warm-ups)."""
    for _ in range(2):
        assert client.get(url, headers=headers).status_code == 200, url
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    """Seed, time, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="procure-bench-"))
    settings = Settings(data_dir=folder)
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.e2e.support import fresh_postgres_database

        database = fresh_postgres_database()
        url = database.__enter__()
    else:
        url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    started = time.perf_counter()
    ids = seed(engine, args.cases)
    print(
        f"seeded {args.cases} cases in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
    )
    pairs: list[tuple[str, str, str, str | None]] = [
        ("waiting on me", "/app/", "/cases?waiting_on_me=true", "legal"),
        ("cases", "/app/cases", "/cases?limit=25", "procurement"),
        ("case page", f"/app/cases/{ids['case_id']}", f"/cases/{ids['case_id']}", "procurement"),
        ("register", "/app/register", "/register?limit=25", None),
        ("lessons", "/app/lessons", "/lessons", "procurement"),
        ("assurance", "/app/assurance", "/assurance", "auditor"),
        ("users", "/app/users", "/users", "admin"),
    ]
    print(f"{'page':<15}{'page p50':>10}{'p95':>8}{'JSON p50':>10}{'p95':>8}  (ms, server time)")
    with app_over(engine, settings) as anonymous:
        tokens = {}
        with transaction(engine) as session:
            for holder in ("legal", "procurement", "auditor", "admin"):
                tokens[holder] = users.rotate_token(session, email=f"{holder}@bench.example")[1]
        browsers: dict[str, TestClient] = {}
        for name, page_url, json_url, role in pairs:
            client = anonymous
            headers: dict[str, str] = {}
            if role:
                if role not in browsers:
                    browsers[role] = signed_in(TestClient(anonymous.app), f"{role}@bench.example")
                client = browsers[role]
                headers = {"Authorization": f"Bearer {tokens[role]}"}
            page = timed(client, page_url, {}, args.runs)
            data = timed(anonymous, json_url, headers, args.runs)
            print(f"{name:<15}{page[0]:>10.1f}{page[1]:>8.1f}{data[0]:>10.1f}{data[1]:>8.1f}")
    engine.dispose()
    if args.postgres:
        database.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
