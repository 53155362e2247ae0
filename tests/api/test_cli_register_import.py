"""The import's progress bar: a count redrawn in place on a terminal, at most once a percent,
and nothing at all when standard error is not a terminal (a log, a pipe, a test)."""

import io

from api.register_import_cli import Bar


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_bar_counts_in_place_on_a_terminal() -> None:
    stream = Terminal()
    bar = Bar(stream)
    for done in range(1, 2001):
        bar(done, 2000)
    drawn = stream.getvalue()
    assert drawn.count("\r") == 101  # once a percent (0 to 100), not once a row
    assert drawn.endswith(f"\rImporting [{'#' * 30}] 2000/2000\n")
    assert f"\rImporting [{'#' * 15}{'-' * 15}] 1000/2000" in drawn


def test_no_bar_off_a_terminal() -> None:
    stream = io.StringIO()
    bar = Bar(stream)
    for done in range(1, 11):
        bar(done, 10)
    assert stream.getvalue() == ""
