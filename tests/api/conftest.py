"""Fixtures for the API's tests: the command line run in-process against the test database."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from api.cli import main
from lifecycle import db


@pytest.fixture
def cli(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run `procure ...` in-process against the test database."""
    monkeypatch.setattr(db, "get_engine", lambda: engine)

    def run(*args: str) -> tuple[int, str, str]:
        """The exit code, standard output and standard error of `procure *args`."""
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
