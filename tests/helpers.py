"""What tests share: readers of what the app sent, so assertions say what a person would see;
the dates tests book on; and builders of what the app is sent or finds stored.

Test modules import from here and from conftest, never from each other."""

from __future__ import annotations

import ast
import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.db import session_scope
from bot.fakeslack import APP_ID, TEAM_ID, FakeSlack
from bot.fakeslack.state import Call
from bot.models import InboxItem, Partnership, utcnow
from bot.partnership_scope import in_partnership
from bot.services.inbox import Inbox
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from bot.slack import guard
from bot.slack.client import DependableClient
from jobs.context import JobContext
from jobs.registry import JOBS
from tests.conftest import INSTALLER, MEMBER, OTHER, PUBLIC_URL, SLACK_TIMEOUT, Bot

SORRY = guard.SORRY.partition(" (reference")[0]  # what a person reads when a listener failed


def shown(payload: Any) -> str:
    """Every piece of text in a message or view, as one string to search."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and node.startswith(("[", "{")):
            with contextlib.suppress(ValueError):
                walk(json.loads(node))

    walk(payload)
    return "\n".join(texts)


def buttons(payload: dict) -> list[dict]:
    """The buttons in a message's blocks (actions blocks and section accessories)."""
    found = []
    for block in payload.get("blocks") or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found.append(element)
    return found


def replies_to(bot: Any, act: Callable[[], object], count: int = 1) -> list[dict]:
    """What the app answered through response URLs to `act` (a click or a form), in order."""
    seen = len(bot.fake.calls_to("response_url"))
    act()
    return [call.args for call in bot.fake.wait_for("response_url", count=seen + count)[seen:]]


def settled(bot: Bot, timeout: float = 5.0) -> None:
    """Wait until the app has finished all the work it accepted (its inbox holds none in hand):
    the app acknowledges first and works after, so a test checks only once the work is over."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(bot.engine) as session:
            working = select(func.count()).select_from(InboxItem)
            if session.exec(working.where(InboxItem.status == "working")).one() == 0:
                return
        time.sleep(0.02)
    raise AssertionError(f"the app's work was not over within {timeout}s")


def told(bot: Bot, user_id: str, act: Callable[[], object]) -> list[Call]:
    """Everything `user_id` was shown because of `act`, once its work is over: replies through
    response URLs, DMs, forms opened or redrawn, and the Home tab."""
    seen = len(bot.fake.calls)
    act()
    settled(bot)
    return [call for call in bot.fake.calls[seen:] if _shown_to(call, user_id)]


def _shown_to(call: Call, user_id: str) -> bool:
    if call.method in ("response_url", "views.open", "views.update", "views.push"):
        return True  # a reply or form answers the one person acting in the test
    if call.method == "chat.postMessage":
        return call.args.get("channel") == user_id
    return call.method == "views.publish" and call.args.get("user_id") == user_id


# Dates ------------------------------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")
# A Monday with no bank holiday for weeks either side: the clock of tests that book (bot.clock).
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
MONDAY_9 = MONDAY.replace(hour=9)  # when the weekly digest runs
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def coming(weekday: str, weeks: int = 1) -> date:
    """That weekday in the week `weeks` weeks after MONDAY."""
    return MONDAY.date() + timedelta(weeks=weeks, days=WEEKDAYS.index(weekday))


def typed(day: date) -> str:
    return f"{day:%-d/%-m/%Y}"


# Hot-desk visitors -------------------------------------------------------------------------------

DANIEL = "U0000DANIEL"  # key worker at Safe Passage (SPL): 1 desk, mon/fri, whole days, approval


def hotdesk_members(bot: Bot) -> Bot:
    """MEMBER works at Northside Care Leavers (NCL), OTHER at Bridges Health Access (BHA); the
    clock at MONDAY, and Safe Passage's key worker known to Slack."""
    bot.clock.set(MONDAY)
    bot.fake.add_user(DANIEL, "Daniel Okafor")
    for user_id, code in ((MEMBER, "NCL"), (OTHER, "BHA")):
        bot.ask(f"join {code}", user_id=user_id)
    return bot


# What the app is sent, or finds stored -----------------------------------------------------------

OTHER_PARTNERSHIP = 2  # a second partnership, planted beside the sample's (`plant_partnership`)


def plant_partnership(engine: Engine, partnership: int = OTHER_PARTNERSHIP) -> None:
    """A second partnership in the same database, loaded from the same sample file."""
    with session_scope(engine) as session:
        session.add(Partnership(id=partnership, name="Another partnership"))
    with in_partnership(partnership):
        apply_partnership(engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))


DIGEST_CHANNEL = "#partnership-digest"


def job_context(
    engine: Engine,
    fake: FakeSlack,
    dry_run: bool = False,
    shown_lines: list | None = None,
    slack_url: str | None = None,
) -> JobContext:
    """What a job runs with, its Slack calls going to the fake Slack."""
    client = DependableClient(
        token="xoxb-test", base_url=slack_url or fake.base_url, timeout=SLACK_TIMEOUT,
        retry_handlers=[RateLimitErrorRetryHandler(3)],
    )  # fmt: skip
    show = shown_lines.append if shown_lines is not None else print
    return JobContext(engine, LONDON, client, dry_run, show)


@contextlib.contextmanager
def limited_slack(
    users: Iterable[str], per_second: int = 50, latency: float = 0.0
) -> Iterator[FakeSlack]:
    """A fake Slack of a test's own, `latency` away, keeping to Slack's posting limits (a post a
    second per channel, `per_second` in the workspace: 429 beyond), knowing `users`."""
    with FakeSlack(post_limits=(1.0, per_second), latency=latency) as fake:
        for user in users:
            fake.add_user(user, f"Member {user}")
        yield fake


def most_at_once(calls: Sequence[Call]) -> int:
    """The most of `calls` the fake Slack had in hand at the same moment."""
    edges = sorted([(c.arrived, 1) for c in calls] + [(c.done, -1) for c in calls])
    in_flight = most = 0
    for _, step in edges:  # at a tie, one call ending before another starts is not overlap
        in_flight += step
        most = max(most, in_flight)
    return most


def command_body(bot: Bot, text: str, trigger_id: str | None = None) -> dict:
    """A slash command as Bolt parsed it when Slack sent it (and the inbox stored it)."""
    return {
        "token": "unused", "team_id": TEAM_ID, "team_domain": "fake", "channel_id": "C0GENERAL",
        "channel_name": "general", "user_id": MEMBER, "user_name": "sam", "command": "/update",
        "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": bot.fake.new_response_url(MEMBER, "C0GENERAL"),
        "trigger_id": trigger_id or bot.fake.new_trigger_id(MEMBER),
    }  # fmt: skip


def abandoned(engine: Engine, body: dict, attempts: int = 1) -> int:
    """An inbox row as a process leaves it when it dies mid-work: in progress, lease run out."""
    inbox_id = Inbox(engine).accept("update_command", body)
    assert inbox_id is not None
    with Session(engine) as session:
        row = session.get(InboxItem, inbox_id)
        row.lease_until, row.attempts = utcnow() - timedelta(seconds=1), attempts
        session.add(row)
        session.commit()
    return inbox_id


def status_of(engine: Engine, inbox_id: int) -> InboxItem:
    with Session(engine) as session:
        row = session.get(InboxItem, inbox_id)
        assert row is not None
        return row


def form_values(text: str, topics: list[str] = (), wants_help: bool = False) -> dict:
    """The /update form's values as Slack sends them on submission."""
    help_options = [{"value": "wants_help"}] if wants_help else []
    return {
        "text": {"value": {"type": "plain_text_input", "value": text}},
        "topics": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": t} for t in topics],
            }
        },
        "help": {"value": {"type": "checkboxes", "selected_options": help_options}},
    }


def initial(view: dict, block_id: str) -> object:
    """What a form field starts with when the form is shown (again)."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    for key in ("initial_value", "initial_user", "initial_date", "initial_users"):
        if key in element:
            return element[key]
    return None


def ticked(values: dict) -> dict:
    """The form's values with "I've checked: save it anyway" ticked."""
    box = {"type": "checkboxes", "selected_options": [{"value": "anyway"}]}
    return {**values, "anyway": {"value": box}}


def privacy_policy(bot: Bot, policy: str) -> None:
    """Set the partnership's privacy policy (`warn` or `block`), as its file would."""
    with Session(bot.engine) as session:
        settings = session.get(Partnership, 1)
        assert settings is not None
        settings.privacy_policy = policy
        session.add(settings)
        session.commit()


# Processes and source the tests look at -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(url: str, server: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"{server.args} exited:\n{server.stdout.read() if server.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{server.args} did not answer {url} within 30 s")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


# Installing through OAuth, as a browser and Slack do it -------------------------------------

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    cookie: str  # the state cookie set, "" if none


def browse(bot: Bot, path_and_query: str, cookie: str = "") -> Page:
    """A browser's GET of the app's page (the public URL's path, on the test's server)."""
    path = path_and_query.removeprefix(PUBLIC_URL)
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(bot.url + path, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, body, set_cookie = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, set_cookie = error.code, error.read(), error.headers
    cookie_set = (set_cookie.get("Set-Cookie") or "").split(";")[0]
    return Page(status, body.decode(), cookie_set if not cookie_set.endswith("=") else "")


def add_to_slack_link(page: Page) -> str:
    start = page.body.index('href="') + len('href="')
    return urllib.parse.unquote(
        page.body[start : page.body.index('"', start)].replace("&amp;", "&")
    )


def install(bot: Bot, team_id: str = TEAM_ID, user_id: str = INSTALLER) -> Page:
    """Open the install page, click Add to Slack, Allow in Slack, come back with the code."""
    page = browse(bot, "/slack/install")
    back = bot.fake.mint_code(add_to_slack_link(page), team_id, user_id, f"Team {team_id}")
    return browse(bot, back, page.cookie)
