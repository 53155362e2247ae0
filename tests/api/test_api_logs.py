"""The server's access log never keeps the one-time token of an invitation link."""

import logging

from api.logs import RedactSecrets, log_config, redact


def test_tokens_are_redacted_from_paths() -> None:
    """Every token parameter, wherever it stands; other parameters stay."""
    assert redact("/app/set-password?token=abc-DEF_123") == "/app/set-password?token=[redacted]"
    assert redact("/x?a=1&TOKEN=s3cret&b=2") == "/x?a=1&TOKEN=[redacted]&b=2"
    assert redact("/app/cases/5") == "/app/cases/5"


def test_the_access_log_record_is_written_without_the_token() -> None:
    """A record shaped as uvicorn's access logger makes it comes out redacted."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/app/set-password?token=secret", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "secret" not in record.getMessage() and "token=[redacted]" in record.getMessage()
    assert log_config()["handlers"]["access"]["filters"] == ["redact_secrets"]
