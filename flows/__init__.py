"""Prefect flows: one per stage, plus the scheduled sweeps. Flows take ids, ask `lifecycle`
what to do, and carry out the side effects; state lives in the database."""
