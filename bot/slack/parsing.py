"""Translate Slack's text input, and what the bot's own buttons carry, into typed values (no
rules, no database)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

from bot.services.refusal import Refusal

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def first_word(text: str) -> tuple[str, str]:
    """Split "join Harbour Refugee" into ("join", "Harbour Refugee"); the word lower-cased."""
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def user_id_in(text: str) -> str | None:
    """The Slack user id in a mention or a bare id, else None: `<@U123>` is what command text
    holds once decoded (bot.slack.inbound); `<@U123|amina>` is Slack's own markup."""
    match = MENTION.match(text.strip())
    return (match.group(1) or match.group(2)) if match else None


def input_value(view: dict[str, Any], block_id: str) -> Any:
    """The value of the one element in an input block of a submitted view, whatever its kind:
    text, number, date, a single or multiple choice, or people."""
    block = view["state"]["values"].get(block_id, {})
    element: dict[str, Any] = next(iter(block.values()), {}) if block else {}
    if "selected_users" in element:
        return element["selected_users"] or []
    if "selected_options" in element:
        return [option["value"] for option in element["selected_options"] or []]
    if "selected_user" in element:
        return element["selected_user"] or ""
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value") or ""
    if "selected_date" in element:
        return element["selected_date"] or ""
    return element.get("value") or ""


DAMAGED = (
    "That button didn't carry what the bot put in it, so nothing was done. "
    "Please use the command again for a fresh one."
)
FORM_DAMAGED = (
    "That form didn't carry what the bot put in it, so nothing was saved. Please open it again."
)
ROW_ID_MAX = 2**31 - 1  # the largest id PostgreSQL's integer keys hold


@contextlib.contextmanager
def reading_button() -> Iterator[None]:
    """Read what a button carries inside this: a value the bot did not write (garbled, forged,
    from an older version) is refused with DAMAGED, not a failure. Only reading goes inside."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, ValueError):
        raise Refusal(DAMAGED) from None


def button_id(value: object) -> int:
    """A row id a button carries: a whole number either database can hold, else DAMAGED."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= ROW_ID_MAX):
        raise Refusal(DAMAGED)
    return int(text)


def form_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What the bot put in a form's private_metadata (a JSON object), else FORM_DAMAGED."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        raise Refusal(FORM_DAMAGED) from None
    if not isinstance(metadata, dict):
        raise Refusal(FORM_DAMAGED)
    return metadata
