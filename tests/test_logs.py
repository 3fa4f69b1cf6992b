"""Nothing personal in the logs: no request body, no typed text, no user id, no response URL.

Every logger is turned up to DEBUG (SQLAlchemy's too, which it keeps at WARNING itself), then
clients' identifiers reach the app every way they can: typed after `/update`, typed in the
update form, in a request refused for its signature, and in a row the database refuses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import Engine, text

from bot.logs import PRIVATE
from bot.services.privacy import scan
from tests.conftest import MEMBER, Bot
from tests.privacy_corpus import IDENTIFIERS

ORDINARY = "Our Saturday drop-in now runs a Zephyrine homework club"  # typed, not personal
TYPED_WORD = "Zephyrine"


def identifiers() -> list[str]:
    """Each sentence's identifier, exactly as typed."""
    found = [sentence[f.start : f.end] for sentence in IDENTIFIERS for f in scan(sentence)]
    assert len(found) >= len(IDENTIFIERS), "the guard should find each sentence's identifier"
    return found


def forbidden() -> list[str]:
    """What no log may hold, as typed and as it travels (form-encoded, JSON)."""
    plain = [*identifiers(), TYPED_WORD, MEMBER, MEMBER.lower(), "/response/"]
    encoded = [form for value in plain for form in (quote_plus(value), quote(value, safe=""))]
    quoted = [json.dumps(value)[1:-1] for value in plain]
    return list(dict.fromkeys(plain + encoded + quoted))


def form_values(typed: str) -> dict:
    return {
        "text": {"value": {"type": "plain_text_input", "value": typed}},
        "topics": {"value": {"type": "multi_static_select", "selected_options": []}},
        "help": {"value": {"type": "checkboxes", "selected_options": []}},
    }


def replies(bot: Bot) -> int:
    return len(bot.fake.calls_to("response_url"))


def submit_form(bot: Bot, typed: str) -> None:
    """Open the update form with `/update` and submit `typed`; wait for its answer."""
    opened = len(bot.fake.calls_to("views.open"))
    assert bot.slack.command("/update", "", user_id=MEMBER).status == 200
    view = bot.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    seen = replies(bot)
    assert bot.slack.view_submission(MEMBER, view, form_values(typed)).status == 200
    bot.fake.wait_for("response_url", count=seen + 1)


@contextmanager
def draft_refused(engine: Engine) -> Iterator[None]:
    """The database refuses every new draft: on PostgreSQL a CHECK constraint (its error's
    DETAIL quotes the failing row), on SQLite a trigger."""
    postgres = engine.dialect.name == "postgresql"
    add, drop = (
        (
            "ALTER TABLE draft ADD CONSTRAINT refuse_drafts CHECK (false) NOT VALID",
            "ALTER TABLE draft DROP CONSTRAINT refuse_drafts",
        )
        if postgres
        else (
            "CREATE TRIGGER refuse_drafts BEFORE INSERT ON draft "
            "BEGIN SELECT RAISE(ABORT, 'drafts refused'); END",
            "DROP TRIGGER refuse_drafts",
        )
    )
    with engine.begin() as connection:
        connection.execute(text(add))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text(drop))


def settled(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records once the app has stopped logging (its listener threads finish after the
    replies the test waited for: a response URL's answer is logged after it is sent)."""
    count, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 5
    while time.monotonic() < deadline:
        if len(caplog.records) != count:
            count, quiet_since = len(caplog.records), time.monotonic()
        elif time.monotonic() - quiet_since > 0.3:
            break
        time.sleep(0.05)
    return list(caplog.records)


def test_logs_hold_no_bodies_typed_text_user_ids_or_response_urls(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    bot.ask("join HRS")

    bot.ask(ORDINARY, command="/update")  # posted: its text goes to Slack, and is logged never
    for sentence in IDENTIFIERS:  # held back by the privacy guard: kept as a draft
        bot.ask(sentence, command="/update")
        submit_form(bot, sentence)

    forged = bot.slack.command(
        "/update", " ".join(IDENTIFIERS), user_id=MEMBER, signing_secret="wrong"
    )
    assert forged.status == 401

    with draft_refused(bot.engine):
        answer = bot.ask(IDENTIFIERS[0], command="/update")
    assert "reference" in json.dumps(answer)  # the person was told; the failure was logged

    records = settled(caplog)
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    logged = [
        "\n".join([formatter.format(record), record.getMessage(), record.exc_text or ""])
        for record in records
    ]
    refused = [line for line in logged if "request refused for its signature" in line]
    assert len(refused) == 1, "a refused signature is one line"
    failures = [r for r in records if r.levelno >= logging.ERROR and "draft" in (r.exc_text or "")]
    assert failures, "the database's refusal is logged, with its statement"
    assert "INSERT INTO draft" in (failures[0].exc_text or "")
    assert "hidden" in (failures[0].exc_text or "")  # its values: parameters, PostgreSQL's row
    assert any("chat.postMessage" in line for line in logged), "Web API calls are still logged"
    leaks = {
        secret: around(line, secret) for line in logged for secret in forbidden() if secret in line
    }
    assert not leaks, "\n".join(f"{secret!r} in: …{where}…" for secret, where in leaks.items())


def around(line: str, secret: str, room: int = 80) -> str:
    at = line.index(secret)
    return line[max(0, at - room) : at + len(secret) + room].replace("\n", " ⏎ ")


def rewritten(message: str, name: str = "partnerbot", exc_text: str | None = None) -> str:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, None, None)
    record.exc_text = exc_text
    assert PRIVATE.filter(record)
    return "\n".join([record.getMessage(), record.exc_text or ""])


def test_a_refused_signature_is_one_line_that_says_why() -> None:
    stale = int(time.time()) - 600
    line = rewritten(
        f"Invalid request signature detected (signature: v0=abc, timestamp: {stale}, "
        "body: token=x&user_id=U0MEMBER&text=Her+mobile+is+07700+900123)",
        name="slack_bolt.RequestVerification",
    )
    assert line.startswith("request refused for its signature: its timestamp is -60")
    assert "clock" in line and "U0MEMBER" not in line and "07700" not in line
    fresh = rewritten(
        f"Invalid request signature detected (signature: v0=abc, timestamp: {int(time.time())}, "
        "body: token=x)"
    )
    assert "does not match SLACK_SIGNING_SECRET" in fresh


def test_database_values_urls_and_user_ids_are_hidden_in_errors() -> None:
    error = (
        'duplicate key value violates unique constraint "x"\n'
        "DETAIL:  Key (author_id, text)=(U0MEMBER, Sam (07700 900123)\n"
        "rings at 9) already exists.\n"
        "[SQL: INSERT INTO draft (author_id, text) VALUES (%(a)s, %(b)s)]\n"
        "(Background on this error at: https://sqlalche.me/e/20/gkpj)"
    )
    line = rewritten("Failed to run listener (error: see below)", exc_text=error)
    assert "07700" not in line and "rings at" not in line and "U0MEMBER" not in line
    assert "Key (author_id, text)=(values hidden)" in line
    assert "[SQL: INSERT INTO draft" in line and "https://sqlalche.me/e/20/gkpj" in line
    same = rewritten("users.info for U0MEMBER failed")
    assert same.split()[2].startswith("user#")
    assert rewritten("users.info for U0MEMBER failed") == same  # one person reads as one
    assert rewritten("users.info for U0OTHER1 failed") != same
    url = rewritten("Going to retry the same request: POST https://hooks.slack.com/commands/T1/2/x")
    assert "hooks.slack.com" not in url
    api = rewritten("Sending a request - url: https://slack.com/api/chat.postMessage, body: x")
    assert api.startswith("Sending a request - url: https://slack.com/api/chat.postMessage (")
