"""Translate Slack's text input into typed values (no rules, no database)."""

from __future__ import annotations

import re
from typing import Any

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
