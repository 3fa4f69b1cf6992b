"""A message as a person reads it in Slack, as plain text: what a dry run prints.

Read from the Block Kit a builder made, so it shows exactly what would be sent, with no second
copy of the wording to fall out of step: mentions become the person's name, links their label
and address, emphasis and Slack's escaping go."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.slack.blocks.common import Message

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^<>|]*)\|([^<>]*)>")
BARE_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^<>|]*)>")
EMPHASIS = re.compile(r"(?<![\w*_])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*_])")
UNESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def plain_text(message: Message, names: Mapping[str, str]) -> str:
    """The message's blocks as lines of text; `names` gives each mentioned member's name."""
    lines: list[str] = []
    for block in message.rendered()["blocks"]:
        kind = block.get("type")
        if kind == "divider":
            lines.append("")
        elif kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * len(title)]
        elif kind == "section":
            texts = [block.get("text") or {}, *(block.get("fields") or [])]
            lines += [_plain(text, names) for text in texts if text.get("text")]
        elif kind == "context":
            elements = block.get("elements") or []
            lines.append(" ".join(_plain(e, names) for e in elements if e.get("text")))
    return "\n".join(lines)


def _plain(text: dict[str, Any], names: Mapping[str, str]) -> str:
    if text.get("type") != "mrkdwn":
        return str(text["text"])
    value = MENTION.sub(lambda m: f"@{names.get(m[1]) or m[1]}", str(text["text"]))
    value = LINK.sub(lambda m: f"{m[2]} ({m[1]})", value)
    value = BARE_LINK.sub(lambda m: m[1], value)
    value = EMPHASIS.sub(lambda m: m[2], value)
    for escaped, character in UNESCAPES:
        value = value.replace(escaped, character)
    return value
