"""What production does to a Slack app: hostile and garbled input, the database going away,
Slack failing. The app answers every time, and never leaves a half-written row."""

from __future__ import annotations

import http.client
import json
import resource
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import make_server

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, make_url, text
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import make_engine
from bot.models import DeskBooking, DeskHold, OpportunityInterest, PartnerUpdate
from bot.slack.app import create_app
from bot.testing.signing import signature_headers
from bot.testing.slack_driver import SlackDriver
from bot.web import MAX_BODY, wsgi_app
from tests.conftest import (
    BOT_TOKEN,
    MEMBER,
    SIGNING_SECRET,
    Bot,
    _QuietHandler,
    _ThreadingWSGIServer,
)
from tests.helpers import shown
from tests.proxy import CuttableProxy

COMMANDS = ("/partners", "/update", "/hotdesk", "/opportunity", "/session")
ACTION_IDS = (
    "update_more", "update_edit", "update_delete", "update_post_anyway", "hotdesk_book:x",
    "hotdesk_cancel", "hotdesk_approve", "hotdesk_decline", "opportunity_interest",
    "opportunity_who", "opportunity_close", "opportunity_withdraw", "opportunity_post_anyway",
    "session_status:1:done", "session_rsvp:1:coming", "session_share_reflection", "home_digest",
    "directory_join", "directory_show", "no_such_action",
)  # fmt: skip
FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def answered(bot: Bot, before: dict[str, int], timeout: float = 5.0) -> list:
    """Wait until the app has answered (a reply, a form, a file) and return what it sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = {m: len(bot.fake.calls_to(m)) for m in before}
        if any(now[m] > before[m] for m in before):
            return bot.fake.calls
        time.sleep(0.01)
    raise AssertionError(f"no answer within {timeout}s")


def counts(bot: Bot) -> dict[str, int]:
    return {
        m: len(bot.fake.calls_to(m))
        for m in ("response_url", "views.open", "files.completeUploadExternal")
    }


def consistent(engine: Engine) -> None:
    """No half-written hot-desk state: holds only for active bookings, and every active
    booking holding its halves."""
    with Session(engine) as session:
        for booking in session.exec(select(DeskBooking)).all():
            holds = session.exec(
                select(func.count()).select_from(DeskHold).where(DeskHold.booking_id == booking.id)
            ).one()
            expected = (
                (2 if booking.part == "day" else 1)
                if booking.status in ("pending", "confirmed")
                else 0
            )
            assert holds == expected, (booking, holds)


@FUZZ
@given(command=st.sampled_from(COMMANDS), words=st.text(max_size=300))
def test_any_command_text_gets_an_answer(bot: Bot, command: str, words: str) -> None:
    before = counts(bot)
    assert bot.slack.command(command, words, user_id=MEMBER).status == 200
    sent = answered(bot, before)
    assert "Sorry, something went wrong" not in shown([c.args for c in sent])
    consistent(bot.engine)


@FUZZ
@given(
    action_id=st.sampled_from(ACTION_IDS),
    value=st.one_of(st.none(), st.text(max_size=80), st.integers().map(str),
                    st.dictionaries(st.text(max_size=8), st.text(max_size=8)).map(json.dumps)),
    in_view=st.booleans(),
)  # fmt: skip
def test_any_click_gets_a_clean_answer(
    bot: Bot, action_id: str, value: str | None, in_view: bool
) -> None:
    """Unknown action ids, wrong types, stale views: 200 (and a reply) or a clean 4xx."""
    stale = {"id": "V0STALE", "type": "modal", "blocks": [], "callback_id": "gone", "hash": "1.x"}
    reply = bot.slack.block_action(
        MEMBER, action_id, value, view=stale if in_view else None, channel_id="C0GENERAL"
    )
    assert reply.status in (200, 404), reply
    consistent(bot.engine)


@FUZZ
@given(callback=st.sampled_from(["update_form", "hotdesk_book_form", "opportunity_form",
                                 "session_form", "rights_forget_form", "nope"]),
       junk=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3))  # fmt: skip
def test_any_form_submission_gets_a_clean_answer(bot: Bot, callback: str, junk: dict) -> None:
    view = {"id": "V0FUZZ", "type": "modal", "callback_id": callback, "private_metadata": "{}",
            "blocks": [], "hash": "1.x"}  # fmt: skip
    values = {key: {"value": {"type": "plain_text_input", "value": v}} for key, v in junk.items()}
    reply = bot.slack.view_submission(MEMBER, view, values)
    assert reply.status in (200, 404), reply
    consistent(bot.engine)


def test_an_oversized_body_is_refused_before_it_is_read(bot: Bot) -> None:
    """Several MB announced: 413 from the headers alone, nothing read, nothing kept."""
    body = "payload=" + "x" * (5 * 1024 * 1024)
    assert len(body) > MAX_BODY
    grown_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    host, port = bot.url.removeprefix("http://").split(":")
    for _ in range(3):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.putrequest("POST", "/slack/events")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
            **signature_headers(SIGNING_SECRET, body),
        }
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body[:65536].encode())  # the start of it, as a client streams
        answer = connection.getresponse()
        assert answer.status == 413
        connection.close()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - grown_before  # KiB on Linux
    assert grown < 64 * 1024, f"memory grew {grown} KiB"


def test_slack_failing_loses_no_update_and_the_author_is_told(bot: Bot) -> None:
    bot.ask("join HRS", user_id=MEMBER)
    bot.fake.fail_next("chat.postMessage", 500)
    reply = shown(bot.ask("A new advice clinic on Tuesdays", command="/update"))
    assert "nothing was changed" in reply
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(PartnerUpdate)).one() == 0
    bot.fake.fail_next("chat.postMessage", 429, retry_after=1)  # waited out, then posted once
    assert "Posted to" in shown(bot.ask("A new advice clinic on Tuesdays", command="/update"))
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(PartnerUpdate)).one() == 1
    bot.fake.fail_next("views.open", 500)
    assert "nothing was changed" in shown(bot.ask("", command="/hotdesk"))


@pytest.mark.parametrize(
    ("method", "act", "expected"),
    [
        ("users.info", lambda bot: bot.ask("join NRH"), "You've joined"),
        ("chat.update", lambda bot: _interest(bot), "Noted your interest"),
        ("conversations.open", lambda bot: bot.ask("my-data"), "couldn't put the file"),
        ("files.getUploadURLExternal", lambda bot: bot.ask("my-data"), "couldn't put the file"),
    ],
)
def test_slack_failing_on_a_method_still_gets_an_answer(
    bot: Bot, method: str, act: object, expected: str
) -> None:
    """The work stands where it was done; what Slack could not do is said, not hidden."""
    bot.ask("join HRS", user_id=MEMBER)
    bot.fake.fail_next(method, 500)
    assert callable(act)
    assert expected in shown(act(bot))


def _interest(bot: Bot) -> dict:
    bot.ask("event Learning day", command="/opportunity")
    post = bot.fake.messages("#partnership-opportunities")[0]
    seen = len(bot.fake.calls_to("response_url"))
    bot.slack.block_action(
        MEMBER, "opportunity_interest", post["blocks"][-1]["elements"][0]["value"]
    )
    reply = bot.fake.wait_for("response_url", count=seen + 1)[-1].args
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(OpportunityInterest)).one() == 1
    return reply


# The database going away ------------------------------------------------------------------------


@pytest.fixture
def through_proxy(
    loaded_engine: Engine, database_url: str, fake_slack: object
) -> Iterator[tuple[SlackDriver, CuttableProxy, Bot]]:
    """The real app whose database connections pass through a proxy the test can cut."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the outage is proven on PostgreSQL")
    url = make_url(database_url)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied_url = url.set(port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(proxied_url)
    bot_settings = Settings(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.base_url, database_url=proxied_url,  # type: ignore[attr-defined]
    )  # fmt: skip
    executor = ThreadPoolExecutor(max_workers=5)
    app = create_app(bot_settings, engine, listener_executor=executor)
    server = make_server("127.0.0.1", 0, wsgi_app(app, engine), _ThreadingWSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url_text = f"http://127.0.0.1:{server.server_port}"
    driver = SlackDriver(f"{url_text}/slack/events", SIGNING_SECRET, fake_slack)  # type: ignore[arg-type]
    yield driver, proxy, Bot(driver, fake_slack, loaded_engine, url_text, bot_settings)  # type: ignore[arg-type]
    server.shutdown()
    executor.shutdown(wait=True)
    proxy.close()
    engine.dispose()


def test_the_database_going_away_gets_a_clear_answer_and_writes_nothing(
    through_proxy: tuple[SlackDriver, CuttableProxy, Bot],
) -> None:
    _, proxy, bot = through_proxy
    assert "You've joined" in shown(bot.ask("join HRS", user_id=MEMBER))
    proxy.cut()
    for command, words in (("/update", "Evening ESOL starts"), ("/partners", "whoami"),
                           ("/hotdesk", "free"), ("/opportunity", "list")):  # fmt: skip
        reply = shown(bot.ask(words, command=command))
        assert "try again in a moment" in reply, (command, reply)
    with Session(bot.engine) as session:  # the real database, not through the proxy
        assert session.exec(select(func.count()).select_from(PartnerUpdate)).one() == 0
    health = urllib.request.Request(bot.url + "/healthz")
    with pytest.raises(urllib.error.HTTPError) as unavailable:
        urllib.request.urlopen(health, timeout=10)
    assert unavailable.value.code == 503
    proxy.restore()  # and the bot, never restarted, carries on
    assert "Posted to" in shown(bot.ask("Evening ESOL starts", command="/update"))
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(PartnerUpdate)).one() == 1
        session.exec(text("SELECT 1"))
