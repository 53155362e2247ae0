"""`procure import register FILE.csv`: a dry run by default, listing row by row what would be
created or updated and what the register lacks; `--apply` imports, in one transaction. On a
terminal a progress bar with a count is drawn on standard error."""

import argparse
import sys
from pathlib import Path
from typing import TextIO

from lifecycle.db import transaction
from lifecycle.errors import Invalid
from lifecycle.services import register_import, users
from lifecycle.services.register_import import ImportReport, RowPlan
from lifecycle.settings import get_settings

# A register file larger than this is not a council's contract register.
MAX_BYTES = 50 * 1024 * 1024
BAR_WIDTH = 30


class Bar:
    """A progress bar with a count, redrawn in place on a terminal; silent elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        """Draw on `stream` only when it is a terminal."""
        self.stream = stream
        self.shown = stream.isatty()
        self.drawn = -1

    def __call__(self, done: int, total: int) -> None:
        """Show `done` of `total`, at most once per percent."""
        percent = done * 100 // total if total else 100
        if not self.shown or (percent == self.drawn and done != total):
            return
        self.drawn = percent
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\rImporting [{bar}] {done}/{total}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _line(plan: RowPlan, applied: bool) -> str:
    """One row of the report."""
    verb = {
        "create": ("created" if applied else "would create"),
        "update": ("updated" if applied else "would update"),
        "unchanged": "unchanged",
    }[plan.action]
    ours = f" as {plan.case_reference}" if plan.case_reference and plan.action == "create" else ""
    line = f"row {plan.row}: {verb}{ours} {plan.source_reference[:80]} ({plan.title[:60]})"
    if plan.changed:
        line += "; changed: " + ", ".join(plan.changed)
    if plan.lacks:
        line += "; flagged: " + "; ".join(plan.lacks)
    return line


def summary(report: ImportReport) -> str:
    """The last line: counts, and whether anything was written."""
    counts = ", ".join(
        f"{report.count(action)} {word}"
        for action, word in (
            ("create", "to create" if not report.applied else "created"),
            ("update", "to update" if not report.applied else "updated"),
            ("unchanged", "unchanged"),
        )
    )
    done = "imported" if report.applied else "dry run, nothing imported: add --apply to import"
    return f"{report.layout}, {len(report.rows)} rows: {counts} ({done})"


def _import_register(args: argparse.Namespace) -> int:
    """Read the file, plan or apply the import, print the report."""
    path = Path(args.file)
    if not path.is_file():
        raise Invalid("there is no such file", field="file")
    if path.stat().st_size > MAX_BYTES:
        raise Invalid(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    if args.apply and not args.by:
        raise Invalid("--apply needs --by: the procurement officer or admin importing", field="by")
    data = path.read_bytes()
    with transaction() as session:
        by = users.by_email(session, email=args.by) if args.by else None
        report = register_import.run(
            session,
            by=by,
            data=data,
            apply=args.apply,
            settings=get_settings(),
            progress=Bar(sys.stderr),
        )
    for plan in report.rows:
        print(_line(plan, report.applied))
    print(summary(report))
    return 0


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`procure import register`."""
    import_commands = commands.add_parser(
        "import", help="bring in data the council already has"
    ).add_subparsers(dest="import_command", required=True)
    register = import_commands.add_parser(
        "register",
        help="import an existing contract register CSV (a dry run unless --apply)",
    )
    register.add_argument("file", metavar="FILE.csv")
    register.add_argument("--by", help="the procurement officer or admin importing")
    register.add_argument(
        "--apply", action="store_true", help="import; without it nothing is written"
    )
    register.set_defaults(handler=_import_register)
