"""The daily monitoring sweep over 20,000 live contracts.

Seeds a throwaway database as a council's would stand on an ordinary day: 20,000 contracts in
monitoring (a tenth of them key contracts, values up to 10 million, end dates over the next
four years, reviews falling due over the next quarter with a few overdue, their contract
details notices published but for one in 100, 200 managers, most of them trained), 200 cases
still in signing, and each case's sealed audit history. Then runs every task of the monitoring
sweep in-process: yesterday's run (untimed), today's, and a rerun that must find nothing new,
timing each; then the records check's tasks. With `--postgres` it also prints the query plan
of every distinct statement the contract checks sent, to show they use indexes.

Run it with `scripts/bench-sweep` (add `--postgres` for the local server)."""

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, text

# The monitoring sweep's tasks, in its order (flows/sweeps.py monitoring_sweep); the records
# check's (audit chains, documents) are timed apart: their cost follows the history's size.
CONTRACT_TASKS = (
    "remind_reviews",
    "flag_unsigned",
    "remind_assessments",
    "check_expiry",
    "remind_termination_notices",
    "remind_notices",
    "check_training",
)
WHOLE_SWEEP = (*CONTRACT_TASKS, "record_assurance", "purge_sign_ins")
RECORDS_CHECK = ("check_history", "check_documents")


def seed(engine: Engine, count: int, today: date) -> None:
    """`count` live contracts and their people, histories and register lines, in bulk."""
    from lifecycle.chain import event_hash, genesis
    from lifecycle.models import (
        AuditEvent,
        Case,
        Contract,
        Notice,
        RegisterEntry,
        TrainingRecord,
        User,
    )

    rng = random.Random(20_000)
    now = datetime.now(UTC)
    with engine.begin() as db:
        people: list[dict[str, Any]] = [
            {"name": f"Manager {n}", "email": f"manager{n}@bench.example"} for n in range(200)
        ] + [
            {"name": "Requester", "email": "requester@bench.example"},
            {"name": "Buyer", "email": "buyer@bench.example"},
        ]
        for n, person in enumerate(people):
            role = "contract_manager" if n < 200 else ("requester", "procurement")[n - 200]
            person |= {"roles": role, "token_hash": f"bench-{n}", "active": True, "created_at": now}
        db.execute(insert(User), people)
        ids = [row[0] for row in db.execute(text('SELECT id FROM "user" ORDER BY id'))]
        managers, requester = ids[:200], ids[200]
        db.execute(
            insert(TrainingRecord),
            [
                {
                    "user_id": manager,
                    "course": "Contract management",
                    "provider": "CCS",
                    "completed_on": today - timedelta(days=300),
                    "valid_until": today + timedelta(days=400),
                    "recorded_by": requester,
                    "recorded_at": now,
                }
                for manager in managers[:190]
            ],
        )
        cases = []
        for n in range(count + 200):
            live = n < count
            cases.append(
                {
                    "reference": f"PR-2026-{n:05d}",
                    "ocid": f"ocds-bench-{n}",
                    "title": f"Contract {n}",
                    "description": "Services",
                    "category": "services",
                    "light_touch": False,
                    "department": "Environment",
                    "estimated_value_pence": rng.randint(5_000_00, 10_000_000_00),
                    "irrecoverable_vat_pence": 0,
                    "needed_by": today + timedelta(days=rng.randint(-30, 60)),
                    "contract_required": True,
                    "route": "below_threshold",
                    "contract": True,
                    "stage": "monitoring" if live else "signing",
                    "status": "in_progress",
                    "requester_id": requester,
                    "contract_manager_id": managers[n % 200],
                    "key_contract": n % 10 == 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.execute(insert(Case), cases)
        case_ids = [row[0] for row in db.execute(text('SELECT id FROM "case" ORDER BY id'))]
        live_ids = case_ids[:count]
        contracts, entries, events, notices = [], [], [], []
        for n, case_id in enumerate(live_ids):
            start = today - timedelta(days=rng.randint(30, 900))
            end = today + timedelta(days=rng.randint(1, 1460))
            overdue = rng.random() < 0.02
            due = today - timedelta(days=rng.randint(1, 60)) if overdue else today
            due += timedelta(days=0 if overdue else rng.randint(0, 90))
            contracts.append(
                {
                    "case_id": case_id,
                    "start_date": start,
                    "end_date": end,
                    "supplier_signed_on": start - timedelta(days=10),
                    "council_signed_on": start - timedelta(days=5),
                    "next_review_due": due,
                    "recorded_by": requester,
                    "recorded_at": now,
                }
            )
            if n % 100:  # a contract details notice (s.87) published; one in 100 still owed
                notices.append(
                    {
                        "case_id": case_id,
                        "key": "UK7",
                        "status": "published",
                        "published_on": start,
                        "identifier": f"{n:06d}-2026",
                        "updated_at": now,
                    }
                )
            entries.append(
                {
                    "case_id": case_id,
                    "status": "published",
                    "reference": f"PR-2026-{n:05d}",
                    "ocid": f"ocds-bench-{n}",
                    "title": f"Contract {n}",
                    "department": "Environment",
                    "description": "Services",
                    "supplier_name": f"Supplier {n % 700}",
                    "sme": n % 3 == 0,
                    "vcse": False,
                    "start_date": start,
                    "end_date": end,
                    "value_pence": cases[n]["estimated_value_pence"],
                    "irrecoverable_vat_pence": 0,
                    "procurement_process": "published tender",
                    "contract_manager_name": f"Manager {n % 200}",
                    "published_at": now,
                    "updated_at": now,
                }
            )
        for case_id in case_ids:
            prev = genesis(case_id)
            for action in ("case_created", "stage_advanced", "contract_recorded"):
                content: dict[str, Any] = {
                    "case_id": case_id,
                    "actor_id": None,
                    "at": now,
                    "action": action,
                    "from_stage": None,
                    "to_stage": None,
                    "from_status": None,
                    "to_status": None,
                    "detail": {},
                }
                digest = event_hash(prev, **content)
                events.append(content | {"prev_hash": prev, "hash": digest})
                prev = digest
        db.execute(insert(Contract), contracts)
        db.execute(insert(RegisterEntry), entries)
        db.execute(insert(Notice), notices)
        for first in range(0, len(events), 10_000):
            db.execute(insert(AuditEvent), events[first : first + 10_000])
        if engine.dialect.name == "postgresql":
            db.execute(text("ANALYZE"))  # the planner sees the tables as they now are


@contextmanager
def statements_of(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (with its parameters) the engine sends while the block runs."""
    sent: list[tuple[str, Any]] = []

    def _keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", _keep)


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds a call takes, and what it returned."""
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def run_sweep(names: tuple[str, ...]) -> dict[str, tuple[float, Any]]:
    """Each named sweep task's function, in order, timed."""
    from flows import sweeps

    return {name: timed(getattr(sweeps, name).fn) for name in names}


def plans(engine: Engine, sent: list[tuple[str, Any]]) -> list[str]:
    """EXPLAIN of each distinct read statement (PostgreSQL)."""
    shown, out = set(), []
    with engine.connect() as db:
        raw = db.connection.driver_connection
        assert raw is not None
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith("SELECT") or statement in shown:
                continue
            shown.add(statement)
            cursor = raw.cursor()
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
            out.append(f"  {' '.join(statement.split())[:160]} ...\n{plan}")
    return out


def main() -> int:
    """Seed, sweep twice, print the figures (and the plans on PostgreSQL)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="use the local PostgreSQL")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="procure-bench-sweep-")
    os.environ["PROCURE_DATA_DIR"] = folder
    database = None
    if args.postgres:
        from tests.e2e.support import fresh_postgres_database

        database = fresh_postgres_database()
        os.environ["PROCURE_DATABASE_URL"] = database.__enter__()

    from lifecycle import clock
    from lifecycle.db import get_engine

    engine = get_engine()
    today = clock.today()
    seconds, _ = timed(lambda: seed(engine, args.contracts, today))
    print(f"{engine.dialect.name}: seeded {args.contracts:,} live contracts in {seconds:.1f} s")
    # Yesterday's sweep first (not timed), so today's finds what an ordinary day brings: the
    # reminders of the contracts whose review came into view today, not a year's backlog.
    real_today = clock.today
    clock.today = lambda: today - timedelta(days=1)  # type: ignore[assignment]
    run_sweep(WHOLE_SWEEP)
    clock.today = real_today  # type: ignore[assignment]
    try:
        for label in ("the day's run", "a rerun the same day"):
            with statements_of(engine) as sent:
                results = run_sweep(WHOLE_SWEEP)
            total = sum(seconds for seconds, _ in results.values())
            print(f"\n{label}: monitoring sweep {total:.2f} s")
            for name, (seconds, result) in results.items():
                print(f"  {name:<28} {seconds * 1000:8.0f} ms   {result}")
        events = 3 * (args.contracts + 200)
        print(f"\nrecords check (audit chains of {events:,} events, no documents):")
        for name, (seconds, result) in run_sweep(RECORDS_CHECK).items():
            print(f"  {name:<28} {seconds * 1000:8.0f} ms   {result}")
        if args.postgres:
            with statements_of(engine) as sent:
                run_sweep(CONTRACT_TASKS)
            print("\nquery plans of the contract checks:")
            print("\n".join(plans(engine, sent)))
    finally:
        engine.dispose()
        if database is not None:
            database.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
