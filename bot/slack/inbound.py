"""The one gate in: slash-command text as the person typed it.

Every command sets `should_escape: true`, so Slack sends `&`, `<` and `>` as entities and wraps
links, addresses, people, channels and @-mentions in `<…>` markup. Rules, search and the
database want what the person typed, and the way out escapes once, so it is decoded here,
once, before anything sees it. Form inputs arrive unescaped and never come through here.
"""

from __future__ import annotations

import re

# A markup token, or one of the three entities Slack escapes in the text between tokens; one
# pass, so nothing is decoded twice (`&amp;lt;` is `&lt;`, as typed).
_MARKUP_OR_ENTITY = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_PERSON = re.compile(r"@([UW][A-Z0-9]+)")
_CHANNEL = re.compile(r"#[CG][A-Z0-9]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SPECIAL = frozenset({"here", "channel", "everyone"})


def typed_text(escaped: str) -> str:
    """What the person typed, from the `text` Slack sent: each `<…>` token as its plain
    meaning (a person stays `<@U…>`, the one reference the way out renders), then the
    entities decoded once."""
    return _MARKUP_OR_ENTITY.sub(_typed, escaped)


def _typed(match: re.Match[str]) -> str:
    entity = match[2]
    return _ENTITIES[entity] if entity else _token(match[1])


def _decoded(text: str) -> str:
    return _ENTITY.sub(lambda match: _ENTITIES[match[1]], text)


def _token(inner: str) -> str:
    raw, _, raw_label = inner.partition("|")
    content, label = _decoded(raw), _decoded(raw_label)
    if person := _PERSON.fullmatch(raw):
        return f"<@{person[1]}>"
    if _CHANNEL.fullmatch(raw):
        return f"#{label.lstrip('#')}" if label else "#channel"
    if raw.startswith("!"):
        kind, _, _argument = raw[1:].partition("^")
        if kind in _SPECIAL:
            return f"@{kind}"
        if kind == "subteam":
            return f"@{label.lstrip('@')}" if label else "@group"
    if raw.lower().startswith("mailto:"):
        return content[len("mailto:") :].split("?", 1)[0]
    if scheme := _SCHEME.match(raw):
        if not label or label in (content, content[scheme.end() :]):
            return content
        return f"{label} ({content})"
    return label or content  # a date's fallback, or markup this does not know: as plain text
