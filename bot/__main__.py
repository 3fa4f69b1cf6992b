"""The `partnerbot` command line (also `python -m bot`).

Every failure a person can fix (a missing token, a bad partnership file) ends with one clear
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from dotenv import load_dotenv
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from bot.config import Need, Settings, SettingsError, load_settings
from bot.db import make_engine, pending_migrations, read_scope, schema_version, upgrade
from bot.models import Partnership
from bot.partnership_cache import partnership_zone
from bot.partnership_scope import ONLY, in_partnership, serve_many
from bot.playground import WORKSPACES_MAX, workspace_count
from bot.services.email.links import Mailing
from bot.services.partnership_file import (
    PartnershipFileError,
    apply_partnership,
    export_partnership,
    read_partnership_file,
)
from bot.services.workspace import partnership_ids, partnership_of_team
from jobs.context import JobContext

log = logging.getLogger("partnerbot")

EXIT_USAGE = 2
TEAM_HELP = "the partnership whose Slack workspace has this team id (T…): needed with several"
FINDING_TEAMS = "a workspace's team id is in its address in a browser: app.slack.com/client/T…/…"


class StartupError(Exception):
    """Something the person running the bot must fix; `str()` says what and how."""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="partnerbot",
        description="Partnerbot: keeps partner organisations connected between meetings. "
        "With no command, runs Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP.",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("web", help="serve HTTP (POST /slack/events, GET /healthz) with gunicorn")
    commands.add_parser("socket", help="connect to Slack over Socket Mode")
    commands.add_parser("clock", help="run the scheduler for every partnership's jobs")
    playground = commands.add_parser(
        "playground", help="try it without Slack: the real bot, a fake Slack, a page on 127.0.0.1"
    )
    playground.add_argument("--port", type=int, default=None, help="the page's port (PORT)")
    playground.add_argument(
        "--workspaces",
        type=workspace_count,
        default=1,
        metavar="N",
        help=f"Slack workspaces, each its own partnership, side by side (1 to {WORKSPACES_MAX})",
    )
    job = commands.add_parser("run-job", help="run one scheduled job now")
    job.add_argument("name")
    job.add_argument(
        "--now", type=_iso_datetime, help="run as if at this time (ISO 8601; local if no zone)"
    )
    job.add_argument("--dry-run", action="store_true", help="report, change nothing")
    job.add_argument("--team", help=TEAM_HELP)
    db = commands.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    config = commands.add_parser("config", help="partnership file tasks")
    config.add_argument("action", choices=["load", "export"])
    config.add_argument("file", nargs="?", help="load: the file to read; export: where to write")
    config.add_argument("--team", help=TEAM_HELP)
    return root


def _iso_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date-time like 2026-11-23T09:00"
        ) from None
    return moment  # a time without a zone is read in the partnership's zone


def main(argv: Sequence[str] | None = None) -> None:
    load_dotenv(Path.cwd() / ".env")  # the folder it is run from, as the README says
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        run(args, settings)
    except (SettingsError, StartupError, PartnershipFileError) as problem:
        for line in str(problem).splitlines():
            print(f"partnerbot: {line}", file=sys.stderr)
        if isinstance(problem, SettingsError):
            print(
                "partnerbot: copy .env.example to .env and fill it in; the README's "
                "'Creating the Slack app' section shows where each value comes from",
                file=sys.stderr,
            )
        sys.exit(EXIT_USAGE)


def run(args: argparse.Namespace, settings: Settings) -> None:
    command = args.command or default_command(settings)
    if command == "playground":
        from bot.playground.server import run_playground

        port = getattr(args, "port", None) or settings.port
        run_playground(settings, port, getattr(args, "workspaces", 1))
        return
    engine = make_engine(settings.database_url)
    # Installed through OAuth, the deployment serves a partnership per workspace: no work
    # without its partnership (bot.partnership_scope); the web process's app says so too.
    serve_many(settings.oauth)
    if command == "db":
        migrate(engine)
        print(f"database {engine.dialect.name} is at schema {schema_version(engine)}")
    elif command == "config":
        if args.action == "load" and not args.file:
            raise StartupError(
                "config load needs the partnership file: partnerbot config load FILE"
            )
        if settings.is_sqlite:
            migrate(engine)
        with in_partnership(partnership_for(engine, args.team)):
            if args.action == "export":
                export_to(engine, settings, args.file)
            else:
                load_partnership(engine, args.file)
    elif command == "run-job":
        from jobs.clock import run_job
        from jobs.registry import JOBS, UnknownJob

        if args.name not in JOBS:
            raise StartupError(str(UnknownJob(args.name)))
        if not args.dry_run and not settings.oauth:  # OAuth: the installation's, stored
            settings.require(Need.BOT_TOKEN)
        prepare(engine, settings)
        with in_partnership(partnership_for(engine, args.team)):
            print(run_job(args.name, job_context(settings, engine, args.dry_run), args.now))
    else:
        needs = {
            "web": (Need.BOT_TOKEN, Need.SIGNING_SECRET),
            "socket": (Need.BOT_TOKEN, Need.APP_TOKEN),
        }
        needed: tuple[Need, ...] = needs.get(command, (Need.BOT_TOKEN,))
        if settings.oauth:  # the bot token is the installation's, stored when it installs
            needed = tuple(need for need in needed if need is not Need.BOT_TOKEN)
        settings.require(*needed)
        if settings.oauth:
            log.info("installing through OAuth: open %s/slack/install", settings.link_base)
        else:
            check_token(settings)
        prepare(engine, settings)
        start(command, settings, engine)


def default_command(settings: Settings) -> str:
    """Socket Mode with an app token, HTTP with a bot token or OAuth's settings, and without
    Slack the playground."""
    if settings.socket_mode:
        return "socket"
    if settings.slack_bot_token or settings.oauth:
        return "web"
    print(
        "partnerbot: no Slack tokens are set, so this is the playground: the real bot with a "
        "fake Slack, to try in your browser. To connect to Slack, copy .env.example to .env "
        "(the README's 'Creating the Slack app' says where each value comes from).",
        file=sys.stderr,
    )
    return "playground"


def start(command: str, settings: Settings, engine: Engine) -> None:
    if command == "web":
        from bot.web import serve

        engine.dispose()  # each gunicorn worker opens its own connections
        serve(settings)
    elif command == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from bot.slack.app import create_app

        SocketModeHandler(
            create_app(settings, engine, sweep=True), settings.slack_app_token
        ).start()
    else:
        from jobs.clock import run_clock

        run_clock(job_context(settings, engine))


def job_context(settings: Settings, engine: Engine, dry_run: bool = False) -> JobContext:
    from jobs.clock import job_client

    client = None if dry_run else job_client(settings, engine)
    return JobContext(
        engine=engine, zone=settings.zone, client=client, dry_run=dry_run,
        smtp_url=settings.smtp_url if settings.email_on else None, mailing=Mailing.of(settings),
    )  # fmt: skip


def migrate(engine: Engine) -> None:
    try:
        upgrade(engine)
    except OperationalError as error:
        raise StartupError(f"cannot reach the database: {error.orig}") from None


def prepare(engine: Engine, settings: Settings) -> None:
    """On the embedded SQLite default, migrate on start so a first run needs no extra step;
    any other database must be migrated first (the release phase), so that new code never
    starts on the schema of the old (it would fail at its first query of a new column)."""
    if settings.is_sqlite:
        migrate(engine)
    elif pending := pending_migrations(engine):
        state = (
            "has no schema yet"
            if schema_version(engine) is None
            else f"schema is behind this code's (migrations {', '.join(reversed(pending))} to run)"
        )
        raise StartupError(f"the database {state}: run `partnerbot db upgrade` first")
    if settings.partnership_config:  # a one-workspace convenience: the first partnership's
        with in_partnership(ONLY):
            load_partnership(engine, settings.partnership_config)
    if not settings.email_on:
        log.info("%s (see the README's settings)", settings.email_off_reason)


def partnership_for(engine: Engine, team: str | None) -> int:
    """The partnership a command is for: the one whose Slack workspace is `team`, or, without
    one, the deployment's only partnership."""
    if team:
        found = partnership_of_team(engine, team)
        if found is None:
            raise StartupError(
                f"no partnership has installed workspace {team}: install Partnerbot there "
                "first (/slack/install)"
            )
        return found
    partnerships = partnership_ids(engine)
    if len(partnerships) == 1:
        return partnerships[0]
    table = Partnership.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.slack_team_id, table.c.name).order_by(table.c.id)
        ).all()
    workspaces = [f"  {team_id or '(no workspace yet)'}: {name}" for team_id, name in rows]
    raise StartupError(
        "\n".join(
            [
                f"this deployment serves {len(rows)} partnerships: say which with --team and "
                "its Slack workspace's team id:",
                *workspaces,
                FINDING_TEAMS,
            ]
        )
    )


def load_partnership(engine: Engine, path: str) -> None:
    """Load the partnership file into the running work's partnership (the database migrated)."""
    from jobs.registry import JOBS

    report = apply_partnership(engine, read_partnership_file(path, jobs=JOBS))
    print(f"loaded {path}: " + ("changes made" if report.changed else "nothing changed"))
    for line in report.lines():
        print(f"  {line}")


def export_to(engine: Engine, settings: Settings, path: str | None) -> None:
    """The partnership file of what the running work's partnership holds: to `path`, or to
    stdout (the database migrated)."""
    with read_scope(engine) as session:
        now = datetime.now(partnership_zone(session, settings.zone))
    text = export_partnership(engine, now=now, by="partnerbot config export")
    if path is None:
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise StartupError(f"{path}: cannot write the file ({error.strerror})") from None
    print(f"exported the partnership file to {path}")


def check_token(settings: Settings) -> None:
    """Ask Slack whether the bot token works, so a bad one is one line at start, not a crash."""
    try:
        WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url).auth_test()
    except SlackApiError as error:
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}): copy the Bot User "
            "OAuth Token (xoxb-…) again from your app's 'OAuth & Permissions' page"
        ) from None
    except OSError as error:
        raise StartupError(f"cannot reach Slack at {settings.slack_api_url}: {error}") from None


if __name__ == "__main__":
    main()
