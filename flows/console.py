"""What the stage runner's process writes to its console."""

import logging

from prefect.settings import PREFECT_LOGGING_TO_API_ENABLED


class StageRunLinesStayInPrefect(logging.Filter):
    """Keeps a stage run's routine lines (it began, its steps, it ended) off the console: they
    go to Prefect, whose UI shows them with the run, and with a backlog the console's
    rendering of each cost the executor a tenth of its time. Warnings and errors still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        of_a_run = record.name == "prefect.flow_runs" or record.name.startswith(
            "prefect.flow_runs."
        )
        return record.levelno >= logging.WARNING or not of_a_run


def keep_stage_run_lines_in_prefect() -> None:
    """Put `StageRunLinesStayInPrefect` on this process's console handlers (once), unless
    Prefect is told not to take logs, when the console is the only place they go."""
    if not PREFECT_LOGGING_TO_API_ENABLED.value():
        return
    for handler in logging.getLogger().handlers:
        console = isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        )
        if console and not any(isinstance(f, StageRunLinesStayInPrefect) for f in handler.filters):
            handler.addFilter(StageRunLinesStayInPrefect())
