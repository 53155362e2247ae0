"""`procure register publish --quarter 2026-Q4`: freeze the contract register as it stood at a
quarter's end (once; a rerun shows the quarter as published), and say what changed since the
quarter published before it. `--out DIR` also writes the two files there."""

import argparse
from pathlib import Path

from lifecycle.db import transaction
from lifecycle.models import RegisterQuarter
from lifecycle.services import quarters
from lifecycle.settings import get_settings


def describe(row: RegisterQuarter, created: bool) -> list[str]:
    """What to print about a published quarter."""
    changes = row.changes
    since = changes.get("since")
    lines = [
        f"{row.quarter} {'published' if created else 'was already published'}: "
        f"{row.entries} entries to {row.last_day}",
        f"register.csv sha256 {row.csv_sha256}",
        f"releases.json sha256 {row.package_sha256 or '(no release dated by its end)'}",
    ]
    if since is None:
        lines.append("the first quarter published: nothing to compare with")
        return lines
    lines.append(
        f"since {since}: {len(changes['added'])} added, {len(changes['removed'])} removed, "
        f"{len(changes['changed'])} changed"
    )
    lines += [f"  added {reference}" for reference in changes["added"]]
    lines += [f"  removed {reference}" for reference in changes["removed"]]
    lines += [
        f"  changed {reference}: {', '.join(columns)}"
        for reference, columns in changes["changed"].items()
    ]
    return lines


def _publish(args: argparse.Namespace) -> int:
    """Publish (or show) one quarter."""
    with transaction() as session:
        quarter = quarters.quarter_from(args.quarter)
        row, created = quarters.publish(session, quarter=quarter, settings=get_settings())
        for line in describe(row, created):
            print(line)
        if args.out:
            folder = Path(args.out)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"contract-register-{row.quarter}.csv").write_bytes(
                row.csv_text.encode("utf-8")
            )
            if row.package_json:
                (folder / f"releases-{row.quarter}.json").write_bytes(
                    row.package_json.encode("utf-8")
                )
    return 0


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`procure register publish`."""
    register = commands.add_parser("register", help="the published contract register")
    register_commands = register.add_subparsers(dest="register_command", required=True)
    publish = register_commands.add_parser(
        "publish", help="freeze the register as it stood at a quarter's end"
    )
    publish.add_argument("--quarter", required=True, help="a calendar quarter, e.g. 2026-Q4")
    publish.add_argument("--out", help="also write the CSV and the OCDS package to this folder")
    publish.set_defaults(handler=_publish)
