"""Logs that hold nothing personal: no request bodies, no typed text, no Slack user ids.

The libraries the bot stands on log what passes through them. Bolt logs a request it refuses
for its signature (a rotated secret, a skewed clock) at INFO with its whole body: the text
typed, the user id, the response URL. At DEBUG, the Slack SDK logs every Web API call and
response-URL post with its arguments (an update's text) and Slack's answer, and Bolt each
answer it gives; SQLAlchemy, when its logger is turned up, every row it reads; and a database
error's text carries the statement's values (hidden by the engine's `hide_parameters`, see
`bot.db`), on PostgreSQL even the failing row (its DETAIL line). One DEBUG setting while chasing
a bug, and a client's details sit in the logs for as long as logs are kept, past any erasure.

Bolt has no setting that stops it logging a body, so `PRIVATE`, a `logging.Filter`, rewrites
each record before any handler sees it: a refused signature becomes one line saying so (and
why, from the timestamp); a library's message is cut where its payload begins; URLs other than
Web API methods (response URLs: capabilities, and per person) and PostgreSQL's DETAIL values
are hidden; Slack user ids become pseudonyms, stable within a process so one person's lines
still read together; SQLAlchemy's row lines are dropped. It sits on the loggers, not on a
handler, because a handler's filter guards only that handler (not gunicorn's, pytest's, or one
added later), while a logger's guards them all. A logger's filters see only the records made on
that logger, not on its children, so it is put on each logger that can carry a payload: the
bot's own `partnerbot` (also Bolt's logger: Bolt copies its filters onto every logger it makes,
so it must be there before the app is built), the known library loggers, and every logger of
the bot, Bolt, the SDK and SQLAlchemy that exists when `keep_logs_private` runs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time

# Loggers that carry payloads, made now if need be, so that the order of start-up never matters.
SOURCES = (
    "partnerbot",
    "slack_bolt.RequestVerification",
    "slack_bolt.IgnoringSelfEvents",
    "slack_sdk.web.base_client",
    "slack_sdk.webhook.client",
    "sqlalchemy.engine.Engine",
)
FAMILIES = frozenset({"partnerbot", "bot", "jobs", "slack_bolt", "slack_sdk", "sqlalchemy"})
SIGNATURE_TOLERANCE = 300  # seconds: Slack's, and Bolt's, allowance for a request's timestamp

_REFUSED = re.compile(r"^Invalid request signature detected \(.*?timestamp: ([^,]*)", re.DOTALL)
# Where a library's message starts quoting what it sent or received (Bolt, the SDK, Socket Mode).
_PAYLOAD = re.compile(
    r"(?:,\s*|\s|\()(?:query_params|body_params|json_body|body|headers|message|payload)\s*:.*"
    r"|(?:Skipped self event|[Rr]equest body):.*"
    r"| for the request \(.*",
    re.DOTALL,
)
_URL = re.compile(r"\b(?:https?|wss?)://[^\s,'\")\]}]+")
_KEPT_URL = re.compile(r"/api/[\w.]+/?$|^https://sqlalche\.me/")  # Web API methods; error docs
# PostgreSQL's DETAIL quotes values (a key, a failing row), which may run over lines: hidden up
# to what follows the error's text (SQLAlchemy's statement, a chained traceback, another field).
_DETAIL = re.compile(
    r"(DETAIL:\s+(?:Key \([^)]*\)=|Failing row contains ))(.*?)"
    r"(?=\n\[SQL: |\n\nThe above exception |\n\nDuring handling |\n[A-Z]+:\s|\Z)",
    re.DOTALL,
)
_USER_ID = re.compile(r"\b[UW](?=[A-Z0-9]*[0-9])[A-Z0-9]{7,}\b")
_KEY = secrets.token_bytes(16)  # pseudonyms read together within a process, never reversed
_EXCEPTIONS = logging.Formatter()


def private(text: str) -> str:
    """`text` with response URLs, database values and Slack user ids hidden."""
    text = _URL.sub(lambda m: m[0] if _KEPT_URL.search(m[0]) else "<url hidden>", text)
    text = _DETAIL.sub(r"\1(values hidden)", text)
    return _USER_ID.sub(_pseudonym, text)


def _pseudonym(match: re.Match[str]) -> str:
    return "user#" + hmac.new(_KEY, match[0].encode(), hashlib.sha256).hexdigest()[:8]


def _refused(timestamp: str) -> str:
    try:
        skew = int(timestamp) - int(time.time())
    except ValueError:
        return "request refused for its signature: it had no usable timestamp"
    if abs(skew) > SIGNATURE_TOLERANCE:
        return (
            f"request refused for its signature: its timestamp is {skew:+d} s from this "
            "server's clock (a replayed request, or a clock out of step)"
        )
    return (
        "request refused for its signature: it does not match SLACK_SIGNING_SECRET "
        "(a rotated secret, or a request not from Slack)"
    )


class PrivateRecords(logging.Filter):
    """Rewrites each record so it holds no payload, typed text or user id (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "partnerbot_private", False):  # rewritten already
            return True
        if record.name.startswith("sqlalchemy.engine") and record.msg == "Row %r":
            return False  # a row is nothing but data
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the template only (the handler would print args)
            message = f"{record.msg} (arguments did not fit; not logged)"
        refused = _REFUSED.match(message)
        if refused:
            message = _refused(refused.group(1))
        else:
            message = _PAYLOAD.sub(" (payload not logged)", message)
        record.msg, record.args = private(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXCEPTIONS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = private(record.exc_text)
        record.partnerbot_private = True
        return True


PRIVATE = PrivateRecords()


def keep_logs_private() -> None:
    """Put `PRIVATE` on every logger that can carry a payload (idempotent; cheap to repeat)."""
    loggers = [logging.getLogger(name) for name in SOURCES]
    loggers += [
        logger
        for name, logger in list(logging.root.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and name.split(".")[0] in FAMILIES
    ]
    for logger in loggers:
        if PRIVATE not in logger.filters:
            logger.addFilter(PRIVATE)
