"""The stage runner's console: a stage run's routine lines stay in Prefect, its warnings and
errors and everything else still show."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_LOGGING_TO_API_ENABLED, temporary_settings

from flows.console import StageRunLinesStayInPrefect, keep_stage_run_lines_in_prefect


@pytest.mark.parametrize(
    ("logger", "level", "shown"),
    [
        ("prefect.flow_runs", logging.INFO, False),
        ("prefect.flow_runs.subflow", logging.INFO, False),
        ("prefect.flow_runs", logging.WARNING, True),
        ("prefect.flow_runs", logging.ERROR, True),
        ("procure.executor", logging.INFO, True),
        ("prefect.flow_runs_elsewhere", logging.INFO, True),
    ],
)
def test_only_a_stage_runs_routine_lines_stay_off_the_console(
    logger: str, level: int, shown: bool
) -> None:
    record = logging.LogRecord(logger, level, __file__, 1, "a line", None, None)
    assert StageRunLinesStayInPrefect().filter(record) is shown


@pytest.fixture
def handlers(tmp_path: Path) -> Iterator[tuple[logging.Handler, logging.Handler]]:
    """A console handler and a log file as the root logger's only handlers, for the test."""
    console, file = logging.StreamHandler(), logging.FileHandler(tmp_path / "log")
    root = logging.getLogger()
    before = root.handlers[:]
    root.handlers = [console, file]
    yield console, file
    root.handlers = before
    file.close()


def test_put_once_on_the_console_only(handlers: tuple[logging.Handler, logging.Handler]) -> None:
    console, file = handlers
    with temporary_settings(updates={PREFECT_LOGGING_TO_API_ENABLED: True}):
        keep_stage_run_lines_in_prefect()
        keep_stage_run_lines_in_prefect()
    assert [type(f) for f in console.filters] == [StageRunLinesStayInPrefect]
    assert file.filters == []


def test_left_alone_when_prefect_takes_no_logs(
    handlers: tuple[logging.Handler, logging.Handler],
) -> None:
    console, _ = handlers
    with temporary_settings(updates={PREFECT_LOGGING_TO_API_ENABLED: False}):
        keep_stage_run_lines_in_prefect()
    assert console.filters == []
