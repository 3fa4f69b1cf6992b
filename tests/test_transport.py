"""Connections to Slack kept open between calls (bot.slack.transport), against the fake Slack,
which keeps them open as Slack does and closes them after a while idle."""

from __future__ import annotations

import json
import threading
import time
from urllib.error import HTTPError

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.services.outbox import UNSURE
from bot.slack import transport
from bot.slack.blocks.common import Message
from bot.slack.client import NO_ANSWER, TIMEOUT, UNCERTAIN, DependableClient
from bot.slack.sender import Sender
from tests.conftest import MEMBER

JSON = {"Content-Type": "application/json;charset=utf-8"}


def client_of(fake: FakeSlack, timeout: int = 5) -> DependableClient:
    return DependableClient(token="xoxb-test", base_url=fake.base_url, timeout=timeout)


def test_a_threads_calls_share_one_connection(fake_slack: FakeSlack) -> None:
    client = client_of(fake_slack)
    client.chat_postMessage(channel=MEMBER, text="first")  # this thread's connection, opened
    opened = fake_slack.connections
    answers = [client.chat_postMessage(channel=MEMBER, text=f"post {n}") for n in range(5)]
    assert fake_slack.connections == opened
    assert len({answer["ts"] for answer in answers}) == 5  # each its own answer


def test_threads_have_connections_of_their_own(fake_slack: FakeSlack) -> None:
    client = client_of(fake_slack)
    before = fake_slack.connections
    threads = [
        threading.Thread(target=client.chat_postMessage, kwargs={"channel": MEMBER, "text": "x"})
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_slack.connections == before + 3


def test_a_connection_slack_closed_is_replaced_and_nothing_is_sent_twice() -> None:
    with FakeSlack(idle=0.2) as fake:
        fake.add_user(MEMBER, "Sam Member")
        client = client_of(fake)
        client.chat_postMessage(channel=MEMBER, text="before the pause")
        time.sleep(0.6)  # the fake has closed the idle connection
        client.chat_postMessage(channel=MEMBER, text="after the pause")
        assert fake.connections == 2
        assert [m["text"] for m in fake.messages(MEMBER)] == ["before the pause", "after the pause"]


def test_a_connection_idle_too_long_is_not_reused(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "IDLE_LIMIT", 0.1)
    client = client_of(fake_slack)
    client.chat_postMessage(channel=MEMBER, text="one")
    opened = fake_slack.connections
    time.sleep(0.3)
    client.chat_postMessage(channel=MEMBER, text="two")
    assert fake_slack.connections == opened + 1


def test_after_a_timeout_the_late_answer_is_not_taken_for_the_next_calls(
    fake_slack: FakeSlack,
) -> None:
    """The connection a call timed out on is closed: its answer, when it comes, cannot be read
    as the answer to the next call."""
    client = client_of(fake_slack, timeout=1)
    fake_slack.stall_next("chat.postMessage", 1.5)
    with pytest.raises(SlackApiError) as timed_out:
        client.chat_postMessage(channel=MEMBER, text="slow")
    assert timed_out.value.response["error"] == TIMEOUT
    answer = client.users_info(user=MEMBER)
    assert answer["user"]["id"] == MEMBER
    time.sleep(0.7)  # the stalled answer has gone out by now, on the closed connection
    posted = client.chat_postMessage(channel=MEMBER, text="next")
    assert posted["message"]["text"] == "next"


def test_a_response_url_reply_and_its_refusal(fake_slack: FakeSlack) -> None:
    url = fake_slack.new_response_url(user=MEMBER, channel="C0GENERAL")
    body = json.dumps({"text": "Here you are", "response_type": "ephemeral"}).encode()
    assert transport.post(url, body, JSON, 5).status == 200
    for _ in range(4):  # Slack allows five replies to one response URL
        transport.post(url, body, JSON, 5)
    with pytest.raises(HTTPError) as refused:
        transport.post(url, body, JSON, 5)
    assert refused.value.code == 404
    assert b"used_url" in refused.value.read()


def test_an_answer_lost_after_sending_is_uncertain_and_never_sent_again() -> None:
    """Slack did it, but the connection ended before its answer: not "unreachable" (which
    would be tried again), but uncertain, like a timeout. (A fake of its own: no other test's
    late call can take the lost answer.)"""
    with FakeSlack() as fake:
        fake.add_user(MEMBER, "Sam Member")
        client = client_of(fake)
        client.chat_postMessage(channel=MEMBER, text="first")  # a kept connection to lose
        fake.drop_next("chat.postMessage")
        with pytest.raises(SlackApiError) as lost:
            client.chat_postMessage(channel=MEMBER, text="its answer lost")
        assert lost.value.response["error"] == NO_ANSWER
        assert NO_ANSWER in UNCERTAIN
        client.chat_postMessage(channel=MEMBER, text="after")
        texts = [m["text"] for m in fake.messages(MEMBER)]
        assert texts == ["first", "its answer lost", "after"]


def test_the_sender_reports_a_lost_answer_as_unsure(loaded_engine: Engine) -> None:
    with FakeSlack() as fake:
        fake.add_user(MEMBER, "Sam Member")
        sender = Sender(loaded_engine, client_of(fake))
        fake.drop_next("chat.postMessage")
        sent = sender.dm(MEMBER, Message(text="Your visit is booked"))
        assert sent.status == UNSURE
        assert len(fake.messages(MEMBER)) == 1  # Slack had posted it; nothing sent again
