"""The floor the read benchmark compares against: a bare FastAPI + SQLModel app reading the same
rows as the product, with none of its checks, views or logging. Run by scripts/bench_reads.py
with BENCH_DATABASE_URL set (uvicorn --app-dir scripts bench_floor:app)."""

import csv
import io
import os
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from sqlalchemy import case, func
from sqlmodel import Session, col, create_engine, select

from lifecycle.models import Case, Contract, RegisterEntry

engine = create_engine(os.environ["BENCH_DATABASE_URL"])
app = FastAPI()
PUBLIC = ("published", "ended")


@app.get("/cases/{case_id}")
def read_case(case_id: int) -> dict[str, Any]:
    """One case row."""
    with Session(engine) as session:
        row = session.get(Case, case_id)
        if row is None:
            raise HTTPException(404)
        return row.model_dump()


@app.get("/assurance")
def assurance() -> dict[str, int]:
    """One aggregate pass over the contract cases and their contracts."""
    with Session(engine) as session:
        cases, signed = session.exec(
            select(
                func.count(col(Case.id)),
                func.sum(
                    case((col(Contract.supplier_signed_on) < col(Contract.start_date), 1), else_=0)
                ),
            )
            .join(Contract, col(Contract.case_id) == col(Case.id), isouter=True)
            .where(col(Case.contract).is_(True))
        ).one()
        return {"cases": cases, "signed": int(signed or 0)}


def _published(session: Session) -> Any:
    """The published register's rows, by reference."""
    return session.exec(
        select(RegisterEntry)
        .where(col(RegisterEntry.status).in_(PUBLIC))
        .order_by(col(RegisterEntry.reference))
    )


@app.get("/register")
def register() -> list[dict[str, Any]]:
    """Every published entry."""
    with Session(engine) as session:
        return [entry.model_dump() for entry in _published(session)]


@app.get("/register.csv")
def register_csv() -> StreamingResponse:
    """Every published entry as CSV, written as it is read."""

    def lines() -> Iterator[str]:
        """The rows, a thousand at a time."""
        with Session(engine) as session:
            out = io.StringIO()
            writer = csv.writer(out)
            for number, entry in enumerate(_published(session)):
                writer.writerow(entry.model_dump().values())
                if number % 1000 == 999:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

    return StreamingResponse(lines(), media_type="text/csv")
