"""What the API's server logs: uvicorn's access log, less the one-time tokens that invitation
links carry in their query string (a log is read by more people than an inbox)."""

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

_SECRET_PARAMETER = re.compile(r"(?i)\b(token)=[^&\s]*")


def redact(path: str) -> str:
    """The request path with every `token=` value replaced."""
    return _SECRET_PARAMETER.sub(r"\1=[redacted]", path)


class RedactSecrets(logging.Filter):
    """Rewrites the path of an access log record (its third argument) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record, with its path redacted."""
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact(str(args[2]))
            record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the access log redacted."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"]["filters"] = ["redact_secrets"]
    return config
