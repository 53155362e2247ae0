"""The `procure` command: start the product or one part of it, manage users, see to the mail
outbox, check the audit history and the documents, back up and restore."""

import argparse
import asyncio
import getpass
import os
import sys
from datetime import date
from pathlib import Path

from sqlmodel import Session

from api.quarters_cli import add_commands as add_quarter_commands
from api.register_import_cli import add_commands as add_import_commands
from lifecycle import backup, db
from lifecycle.db import get_engine, make_engine, reading, transaction
from lifecycle.errors import DomainError, Invalid
from lifecycle.rules import Role
from lifecycle.schemas import TrainingRecordIn
from lifecycle.services import (
    accounts,
    audit_chain,
    documents,
    handover,
    history,
    outbox,
    training,
    users,
)
from lifecycle.settings import get_settings


def _ask_password() -> str:
    """A new password typed twice at the terminal, never echoed."""
    first = getpass.getpass("Password for the pages: ")
    if getpass.getpass("Type it again: ") != first:
        raise Invalid("the two passwords are not the same", field="password")
    return first


def _users_create(args: argparse.Namespace) -> int:
    """Create a user and print its token once; with --password-prompt they can sign in to
    the pages at once, with --invite they are emailed a link to choose a password."""
    password = _ask_password() if args.password_prompt else None
    settings = get_settings()
    with transaction() as session:
        user, token = users.create(session, name=args.name, email=args.email, roles=args.role)
        if password is not None:
            accounts.set_password(session, user=user, password=password)
        if args.invite:
            accounts.invite(session, user=user, invited_by=None, settings=settings)
    print(f"created user {user.id} {user.name} <{user.email}> roles={user.roles}")
    if args.invite:
        print(f"invitation emailed to {user.email} (valid {settings.invitation_hours} hours)")
    print(f"API token (shown once, keep it safe): {token}")
    return 0


def _users_set_password(args: argparse.Namespace) -> int:
    """Set a user's password for the pages; their browsers are signed out."""
    password = _ask_password()
    with transaction() as session:
        user = users.by_email(session, email=args.email)
        accounts.set_password(session, user=user, password=password)
    print(f"password set for {user.email}")
    return 0


def _users_invite(args: argparse.Namespace) -> int:
    """Email a user a one-time link to choose their password."""
    settings = get_settings()
    with transaction() as session:
        user = users.by_email(session, email=args.email)
        accounts.invite(session, user=user, invited_by=None, settings=settings)
    print(f"invitation emailed to {user.email} (valid {settings.invitation_hours} hours)")
    return 0


def _users_rotate(args: argparse.Namespace) -> int:
    """Give a user a new token, printed once; the old one stops working."""
    with transaction() as session:
        user, token = users.rotate_token(session, email=args.email)
    print(f"new API token for {user.email} (shown once, keep it safe): {token}")
    return 0


def _users_deactivate(args: argparse.Namespace) -> int:
    """Switch a user off; one who still manages live contracts hands them to --successor in the
    same step (refused without one)."""
    if args.successor is None:
        with transaction() as session:
            user = users.deactivate(session, email=args.email)
        print(f"deactivated {user.email}")
        return 0
    return _users_handover(args, deactivate=True)


def _users_handover(args: argparse.Namespace, deactivate: bool = False) -> int:
    """Hand every live contract a manager holds to --successor."""
    with transaction() as session:
        leaver = users.by_email(session, email=args.email)
        successor = users.by_email(session, email=args.successor)
        assert leaver.id is not None and successor.id is not None
        done = handover.hand_over(
            session,
            by=None,
            leaver_id=leaver.id,
            successor_id=successor.id,
            deactivate=deactivate,
            settings=get_settings(),
        )
        references = ", ".join(case.reference for case in done.cases) or "none"
    print(f"handed {len(done.cases)} live contracts to {successor.email}: {references}")
    if deactivate:
        print(f"deactivated {leaver.email}")
    return 0


def _users_list(_args: argparse.Namespace) -> int:
    """Print every user."""
    with transaction() as session:
        for user in users.list_(session):
            state = "active" if user.active else "inactive"
            print(f"{user.id}\t{user.email}\t{user.name}\t{user.roles}\t{state}")
    return 0


def _mail_failed(_args: argparse.Namespace) -> int:
    """Print the mail that was given up on, with why."""
    with transaction() as session:
        rows = history.mail(session, status="failed", limit=10_000)
        for mail in rows:
            print(f"{mail.id}\t{mail.created_at:%Y-%m-%d %H:%M}\t{mail.subject}\t{mail.last_error}")
    print(f"{len(rows)} failed mail(s)", file=sys.stderr)
    return 0


def _mail_retry(_args: argparse.Namespace) -> int:
    """Queue failed mail again; the dispatcher sends it on its next pass."""
    with transaction() as session:
        requeued = outbox.retry_failed_mail(session)
    print(f"queued {len(requeued)} failed mail(s) again")
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    """Check every case's audit chain and every daily anchor; exit 1 if any fails."""
    with Session(reading(db.get_engine())) as session:
        report = audit_chain.verify(session)
    for case in report.altered:
        print(f"ALTERED\t{case.reference}\tfrom event {case.first_bad_event}")
    for day in report.anchors_broken:
        print(f"REWRITTEN\tthe history no longer matches the anchor of {day}")
    print(
        f"{report.events} events in {report.chains} chains, {report.anchors_checked} anchors: "
        + ("intact" if report.intact else "NOT INTACT")
    )
    return 0 if report.intact else 1


def _documents_verify(_args: argparse.Namespace) -> int:
    """Check every stored document against its SHA-256, flag the cases of damaged ones; exit
    1 if any."""
    with Session(reading(db.get_engine())) as session:
        damaged = documents.verify_repository(session, settings=get_settings())
        checked = documents.count(session)
    with transaction() as session:
        documents.flag_damaged(session, damaged=damaged)
    for document in damaged:
        print(f"{document.problem.upper()}\t{document.reference}\tdocument {document.document_id}")
    print(f"{checked} documents checked: " + (f"{len(damaged)} damaged" if damaged else "intact"))
    return 1 if damaged else 0


def _backup(args: argparse.Namespace) -> int:
    """Write the database and the document repository to one archive."""
    target = Path(args.file)
    if target.exists():
        raise Invalid("that file already exists: name a new one", field="file")
    summary = backup.back_up(get_engine(), get_settings(), target)
    print(
        f"backed up {sum(summary.rows.values())} rows in {len(summary.rows)} tables and "
        f"{summary.documents} documents (schema revision {summary.revision}) to {target}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    """Restore an archive into an empty database and data folder."""
    source = Path(args.file)
    if not source.is_file():
        raise Invalid("there is no such back-up file", field="file")
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Not get_engine(): that would build the newest schema before the back-up's rows are in.
    summary = backup.restore(make_engine(settings.sqlalchemy_url), settings, source)
    print(
        f"restored {sum(summary.rows.values())} rows and {summary.documents} documents "
        f"(taken at schema revision {summary.revision}) into {settings.data_dir}"
    )
    return 0


def _training_record(args: argparse.Namespace) -> int:
    """Record a course a person completed, as the procurement officer or admin `--by`."""
    try:
        completed_on = date.fromisoformat(args.completed_on)
        valid_until = date.fromisoformat(args.valid_until) if args.valid_until else None
    except ValueError:
        raise Invalid("dates are written YYYY-MM-DD", field="completed_on") from None
    with transaction() as session:
        person = users.by_email(session, email=args.email)
        recorder = users.by_email(session, email=args.by)
        assert person.id is not None
        row = training.record(
            session,
            by=recorder,
            training=TrainingRecordIn(
                user_id=person.id,
                course=args.course,
                provider=args.provider,
                completed_on=completed_on,
                valid_until=valid_until,
            ),
            settings=get_settings(),
        )
        lapses = f"valid until {row.valid_until}" if row.valid_until else "does not lapse"
        print(f"recorded {row.course} for {person.email} ({lapses})")
    return 0


def _training_needs(_args: argparse.Namespace) -> int:
    """Print who needs training for which contracts."""
    with transaction() as session:
        for need in training.open_needs(session):
            print(f"{need.reference}\t{need.manager_name}\t{need.why}\tsince {need.since:%Y-%m-%d}")
    return 0


def _start(_args: argparse.Namespace) -> int:
    """Everything, supervised: the schema made or migrated here, before the children race to
    do it; then this process becomes the supervisor alone (api/launcher.py), which imports
    none of the rest and so holds about 40 MB less for as long as the product runs."""
    get_engine()
    os.execv(sys.executable, [sys.executable, "-m", "api.launcher"])


def _api(_args: argparse.Namespace) -> int:
    """The HTTP API alone."""
    import uvicorn

    settings = get_settings()
    get_engine()
    from api.logs import log_config

    uvicorn.run(
        "api.app:app",
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        log_config=log_config(),
    )
    return 0


def _runner(_args: argparse.Namespace) -> int:
    """The stage runner alone (needs PREFECT_API_URL)."""
    from flows.runner import serve_all

    asyncio.run(serve_all())
    return 0


def _dispatcher(_args: argparse.Namespace) -> int:
    """The outbox dispatcher alone (needs PREFECT_API_URL)."""
    import logging

    from flows.console import keep_stage_run_lines_in_prefect
    from flows.dispatcher import dispatch_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    keep_stage_run_lines_in_prefect()
    asyncio.run(dispatch_forever())
    return 0


def _prefect_server(_args: argparse.Namespace) -> int:
    """The embedded Prefect server, its database inside the data folder."""
    from api.launcher import prefect_environment

    settings = get_settings()
    env = prefect_environment(settings)
    prefect = os.path.join(os.path.dirname(sys.executable), "prefect")
    os.execve(
        prefect,
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(settings.prefect_port)],
        env,
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="procure", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    for name, handler, text in (
        ("start", _start, "start everything on the embedded default"),
        ("api", _api, "the HTTP API only"),
        ("runner", _runner, "the Prefect stage runner only"),
        ("dispatcher", _dispatcher, "the outbox dispatcher only"),
        ("prefect-server", _prefect_server, "the embedded Prefect server only"),
    ):
        commands.add_parser(name, help=text).set_defaults(handler=handler)
    user_commands = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    create = user_commands.add_parser("create", help="create a user and print its API token")
    create.add_argument("--name", required=True)
    create.add_argument("--email", required=True)
    create.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[role.value for role in Role],
        help="repeat for several roles",
    )
    create.add_argument(
        "--password-prompt", action="store_true", help="ask for a password for the pages"
    )
    create.add_argument(
        "--invite", action="store_true", help="email a link to choose a password for the pages"
    )
    create.set_defaults(handler=_users_create)
    user_commands.add_parser("list", help="list users").set_defaults(handler=_users_list)
    for name, leaving, about in (
        ("deactivate", _users_deactivate, "switch a user off (token, pages and mail)"),
        ("handover", _users_handover, "hand a manager's live contracts to a successor"),
    ):
        command = user_commands.add_parser(name, help=about)
        command.add_argument("--email", required=True)
        command.add_argument(
            "--successor",
            required=name == "handover",
            help="email of the contract manager who takes over their live contracts",
        )
        command.set_defaults(handler=leaving)
    for by_email, change, about in (
        ("rotate-token", _users_rotate, "replace a user's API token"),
        ("set-password", _users_set_password, "set a user's password for the pages"),
        ("invite", _users_invite, "email a user a link to choose their password"),
    ):
        command = user_commands.add_parser(by_email, help=about)
        command.add_argument("--email", required=True)
        command.set_defaults(handler=change)
    mail_commands = commands.add_parser("mail", help="the mail outbox").add_subparsers(
        dest="mail_command", required=True
    )
    mail_commands.add_parser("failed", help="list mail given up on").set_defaults(
        handler=_mail_failed
    )
    mail_commands.add_parser("retry", help="queue failed mail again").set_defaults(
        handler=_mail_retry
    )
    audit_commands = commands.add_parser("audit", help="the audit history").add_subparsers(
        dest="audit_command", required=True
    )
    audit_commands.add_parser(
        "verify", help="check every case's history for alteration (exit 1 if any)"
    ).set_defaults(handler=_audit_verify)
    for name, archive_handler, text in (
        ("backup", _backup, "write the database and the documents to one archive FILE"),
        ("restore", _restore, "restore an archive FILE into an empty data folder"),
    ):
        archive_command = commands.add_parser(name, help=text)
        archive_command.add_argument("file", metavar="FILE")
        archive_command.set_defaults(handler=archive_handler)
    training_commands = commands.add_parser(
        "training", help="training records and needs"
    ).add_subparsers(dest="training_command", required=True)
    recorded = training_commands.add_parser("record", help="record a course a person completed")
    recorded.add_argument("--email", required=True, help="whose training it is")
    recorded.add_argument("--course", required=True)
    recorded.add_argument("--provider", required=True)
    recorded.add_argument("--completed-on", required=True, help="YYYY-MM-DD")
    recorded.add_argument("--valid-until", help="YYYY-MM-DD; leave out if it does not lapse")
    recorded.add_argument("--by", required=True, help="the procurement officer or admin")
    recorded.set_defaults(handler=_training_record)
    training_commands.add_parser("needs", help="who needs training").set_defaults(
        handler=_training_needs
    )
    add_import_commands(commands)
    add_quarter_commands(commands)
    document_commands = commands.add_parser(
        "documents", help="the document repository"
    ).add_subparsers(dest="documents_command", required=True)
    document_commands.add_parser(
        "verify", help="check every stored document against its SHA-256 (exit 1 if any fails)"
    ).set_defaults(handler=_documents_verify)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command; domain errors print their message and exit 2."""
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except DomainError as exc:
        print(f"procure: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
