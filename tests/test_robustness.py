"""What production does to a Slack app: hostile and garbled input, the database going away,
Slack failing. The app answers every time, and never leaves a half-written row."""

from __future__ import annotations

import http.client
import json
import resource
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import make_server

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, make_url, text
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import make_engine
from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.server import serve_in_background
from bot.fakeslack.signing import signature_headers
from bot.models import DeskBooking, DeskHold, Opportunity, OpportunityInterest, PartnerUpdate
from bot.slack.app import create_app
from bot.web import MAX_BODY, wsgi_app
from tests.conftest import (
    BOT_TOKEN,
    MEMBER,
    SIGNING_SECRET,
    SLACK_TIMEOUT,
    Bot,
    SettableClock,
    _QuietHandler,
    _ThreadingWSGIServer,
)
from tests.helpers import MONDAY, SORRY, buttons, coming, replies_to, shown, told, typed
from tests.proxy import CuttableProxy

COMMANDS = ("/partners", "/update", "/hotdesk", "/opportunity", "/session")
ACTION_IDS = (
    "update_more", "update_edit", "update_delete", "update_post_anyway", "update_repost",
    "opportunity_repost", "hotdesk_book:x",
    "hotdesk_cancel", "hotdesk_approve", "hotdesk_decline", "opportunity_interest",
    "opportunity_who", "opportunity_close", "opportunity_withdraw", "opportunity_post_anyway",
    "session_status:1:done", "session_rsvp:1:coming", "session_share_reflection", "home_digest",
    "home_digest_name",
    "directory_join", "directory_show", "no_such_action",
)  # fmt: skip
FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


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
    """Once the work is over, the person has been told something that is not an apology."""
    replies: list = []
    ask = lambda: replies.append(bot.slack.command(command, words, user_id=MEMBER))  # noqa: E731
    later = told(bot, MEMBER, ask)
    (reply,) = replies
    assert reply.status == 200, reply
    answer = shown([reply.json or {}, *(call.args for call in later)])
    assert answer and SORRY not in answer, answer
    consistent(bot.engine)


UNHANDLED = 404  # Bolt's answer to an action or form no listener takes: Slack shows nothing


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
    """Unknown action ids, wrong types, stale views: once the work is over, the person has been
    told something that is not an apology (no listener failed), and nothing is half-written."""
    stale = {"id": "V0STALE", "type": "modal", "blocks": [], "callback_id": "gone", "hash": "1.x"}
    replies: list = []

    def click() -> None:
        replies.append(
            bot.slack.block_action(
                MEMBER, action_id, value, view=stale if in_view else None, channel_id="C0GENERAL"
            )
        )

    answer = shown([call.args for call in told(bot, MEMBER, click)])
    (reply,) = replies
    if action_id == "no_such_action":
        assert reply.status == UNHANDLED and answer == "", reply
    else:
        assert reply.status == 200, reply
        assert answer and SORRY not in answer, answer
    consistent(bot.engine)


@pytest.mark.parametrize(
    "action_id",
    ["hotdesk_approve", "hotdesk_book:x", "opportunity_interest", "session_rsvp:1:coming",
     "update_delete", "update_more"],
)  # fmt: skip
def test_a_button_value_the_bot_did_not_write_is_refused_clearly(bot: Bot, action_id: str) -> None:
    """A garbled or forged value ("abc" where an id belongs) is refused, and nothing done."""
    click = lambda: bot.slack.block_action(MEMBER, action_id, "abc")  # noqa: E731
    assert "didn't carry what the bot put in it" in shown(
        [c.args for c in told(bot, MEMBER, click)]
    )
    consistent(bot.engine)


@FUZZ
@given(callback=st.sampled_from(["update_form", "hotdesk_book_form", "opportunity_form",
                                 "session_form", "rights_forget_form", "nope"]),
       junk=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
       metadata=st.sampled_from(["{}", "not json", "[1]"]))  # fmt: skip
def test_any_form_submission_gets_a_clean_answer(
    bot: Bot, callback: str, junk: dict, metadata: str
) -> None:
    """A form with missing or unknown fields, or metadata the bot did not write: the form shows
    what is wrong (or the person is told), never an apology, and nothing is half-written."""
    view = {"id": "V0FUZZ", "type": "modal", "callback_id": callback, "private_metadata": metadata,
            "blocks": [], "hash": "1.x"}  # fmt: skip
    values = {key: {"value": {"type": "plain_text_input", "value": v}} for key, v in junk.items()}
    replies: list = []
    later = told(
        bot, MEMBER, lambda: replies.append(bot.slack.view_submission(MEMBER, view, values))
    )
    (reply,) = replies
    if callback == "nope":
        assert reply.status == UNHANDLED and later == [], reply
    else:
        assert reply.status == 200, reply
        errors = " ".join((reply.json or {}).get("errors", {}).values())  # shown on the form
        answer = errors + shown([reply.json or {}, *(call.args for call in later)])
        assert answer and SORRY not in answer, (reply, answer)
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


# Slack failing ----------------------------------------------------------------------------------

FAILURES = ("500", "429", "timeout")


def slack_fails(bot: Bot, method: str, how: str) -> None:
    """The next call of `method` fails as Slack's do: an error, a rate limit (waited out), or
    no answer in time (Slack acts on the call, but answers after the client has given up)."""
    if how == "timeout":
        bot.fake.stall_next(method, SLACK_TIMEOUT + 0.3)
    else:
        bot.fake.fail_next(method, int(how), retry_after=0)


POSTS = {  # what is shared in a channel: command, text, table, channel, the reply once posted
    "update": ("/update", "A new advice clinic", PartnerUpdate, "#partnership-updates", "Posted"),
    "opportunity": (
        "/opportunity", "event Learning day", Opportunity, "#partnership-opportunities", "Shared",
    ),
}  # fmt: skip


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize("kind", POSTS)
def test_a_post_slack_fails_is_kept_and_can_be_posted_again(bot: Bot, kind: str, how: str) -> None:
    """Saved first, then posted: Slack failing loses nothing, and the author can post again."""
    command, text, model, channel, done = POSTS[kind]
    bot.ask("join HRS", user_id=MEMBER)
    slack_fails(bot, "chat.postMessage", how)
    reply = bot.ask(text, command=command)

    def stored() -> list:
        with Session(bot.engine) as session:
            return list(session.exec(select(model)).all())

    if how == "429":  # waited out, then posted once
        assert done in shown(reply) and len(bot.fake.messages(channel)) == 1
        assert stored()[0].ts
        return
    assert "saved in the partnership's history" in shown(reply)
    assert ("didn't confirm" if how == "timeout" else "couldn't post") in shown(reply)
    assert [row.ts for row in stored()] == [None]
    (again,) = buttons(reply)
    click = lambda: bot.slack.block_action(MEMBER, again["action_id"], again["value"])  # noqa: E731
    (posted,) = replies_to(bot, click)
    assert done in shown(posted)
    (row,) = stored()
    assert row.ts and row.ts == bot.fake.messages(channel)[-1]["ts"]
    # Slack acted on the call that timed out, as the author was warned it might have.
    assert len(bot.fake.messages(channel)) == (2 if how == "timeout" else 1)
    (stale,) = replies_to(bot, click)
    assert "already posted" in shown(stale)
    assert len(stored()) == 1


def _join(bot: Bot, arm: Callable[[], None]) -> str:
    arm()
    return shown(bot.ask("join NRH"))


def _my_data(bot: Bot, arm: Callable[[], None]) -> str:
    arm()
    return shown(bot.ask("my-data"))


def _interest(bot: Bot, arm: Callable[[], None]) -> str:
    bot.ask("event Learning day", command="/opportunity")
    post = bot.fake.messages("#partnership-opportunities")[0]
    value = post["blocks"][-1]["elements"][0]["value"]
    arm()
    (reply,) = replies_to(
        bot, lambda: bot.slack.block_action(MEMBER, "opportunity_interest", value)
    )
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(OpportunityInterest)).one() == 1
    return shown(reply)


def _delete_update(bot: Bot, arm: Callable[[], None]) -> str:
    """Deleted whatever Slack does (the outbox deletes the message after the commit); a channel
    message Slack did not delete is told by DM."""
    posted = bot.ask("A new advice clinic", command="/update")
    delete = next(b for b in buttons(posted) if b["action_id"] == "update_delete")
    arm()
    click = lambda: bot.slack.block_action(MEMBER, "update_delete", delete["value"])  # noqa: E731
    (reply,) = replies_to(bot, click)
    deadline = time.monotonic() + 2 * SLACK_TIMEOUT
    while time.monotonic() < deadline:
        told = [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == MEMBER]
        if told:
            return shown(reply) + "\n" + shown(told[-1].args)
        time.sleep(0.1)
    return shown(reply)


def _book(bot: Bot, arm: Callable[[], None]) -> str:
    bot.clock.set(MONDAY)
    arm()  # the first message is the DM to the host's key worker, Amina
    reply = shown(bot.ask(f"book HRS {typed(coming('thu'))} am", command="/hotdesk"))
    with Session(bot.engine) as session:
        assert session.exec(select(func.count()).select_from(DeskBooking)).one() == 1
    return reply


def _direct_message(bot: Bot, act: Callable[[], object]) -> str:
    seen = len(bot.fake.calls_to("chat.postMessage"))
    act()
    return shown(bot.fake.wait_for("chat.postMessage", count=seen + 1)[-1].args)


def _pick_agency(bot: Bot, arm: Callable[[], None]) -> str:
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/hotdesk", "", user_id=MEMBER)
    view = bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]
    option = {"text": {"type": "plain_text", "text": "Harbour"}, "value": "HRS"}
    picked = {"type": "static_select", "selected_option": option}
    arm()
    return _direct_message(
        bot,
        lambda: bot.slack.block_action(
            MEMBER, "hotdesk_host_picked", block_id="host", view=view, extra_action=picked
        ),
    )


def _digest_from_home(bot: Bot, arm: Callable[[], None]) -> str:
    seen = len(bot.fake.calls_to("views.publish"))
    bot.slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    view = bot.fake.wait_for("views.publish", count=seen + 1)[-1].response["view"]
    arm()
    return _direct_message(
        bot, lambda: bot.slack.block_action(MEMBER, "home_digest", "on", view=view)
    )


def _open_form(bot: Bot, arm: Callable[[], None]) -> str:
    arm()
    return shown(bot.ask("", command="/hotdesk"))


SAYS = "Slack didn't answer"
NOT_DELETED = "Check the channel, and delete the message there"
COULD_NOT_SEND = "couldn't put the file"


METHODS = [  # method, what uses it, what the person reads when it fails, and when a 429 passes
    ("users.info", _join, "You've joined", "You've joined"),
    ("chat.update", _interest, "Noted your interest", "Noted your interest"),
    ("chat.postMessage", _book, "let them know you're coming", "Booked"),
    ("chat.delete", _delete_update, NOT_DELETED, "Deleted the update"),
    ("conversations.open", _my_data, COULD_NOT_SEND, "Sent to your DMs"),
    ("files.getUploadURLExternal", _my_data, COULD_NOT_SEND, "Sent to your DMs"),
    ("file_upload", _my_data, COULD_NOT_SEND, None),  # Slack's upload URL has no 429
    ("files.completeUploadExternal", _my_data, COULD_NOT_SEND, "Sent to your DMs"),
    ("views.open", _open_form, SAYS, None),  # None: a 429 waited out leaves no reply to read
    ("views.update", _pick_agency, SAYS, None),
    ("views.publish", _digest_from_home, "Weekly digest by DM is on", None),
]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # Slack's part only
@pytest.mark.parametrize(
    ("method", "act", "how", "expected"),
    [
        (method, act, how, waited if how == "429" else failed)
        for method, act, failed, waited in METHODS
        for how in FAILURES
        if how != "429" or waited is not None
    ],
)
def test_slack_failing_on_a_method_loses_nothing_and_says_so(
    bot: Bot, method: str, act: Callable[[Bot, Callable[[], None]], str], how: str, expected: str
) -> None:
    """Whatever Slack does, the person hears what happened and the stored work stands."""
    bot.ask("join NCL", user_id=MEMBER)
    assert expected in act(bot, lambda: slack_fails(bot, method, how))
    consistent(bot.engine)


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
    clock = SettableClock()
    app = create_app(bot_settings, engine, listener_executor=executor, clock=clock)
    server = make_server("127.0.0.1", 0, wsgi_app(app, engine), _ThreadingWSGIServer, _QuietHandler)
    serve_in_background(server)
    url_text = f"http://127.0.0.1:{server.server_port}"
    driver = SlackDriver(f"{url_text}/slack/events", SIGNING_SECRET, fake_slack)  # type: ignore[arg-type]
    yield driver, proxy, Bot(driver, fake_slack, loaded_engine, url_text, bot_settings, app, clock)  # type: ignore[arg-type]
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
        reply = bot.slack.command(command, words, user_id=MEMBER)  # not stored, so not taken on
        assert reply.status == 200 and "try again in a moment" in reply.body, (command, reply)
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
