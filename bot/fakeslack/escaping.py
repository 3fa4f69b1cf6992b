"""Slash-command text as Slack sends it for `should_escape: true`, from what a person typed."""

from __future__ import annotations

import re
from typing import Any

# Slack links a typed URL up to a space, a `<`, `>` or `|`, leaving out the punctuation that
# ends a sentence; a bare domain, when its top-level domain is one it knows.
_URL = r"https?://[^\s<>|]+"
_EMAIL = r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_TLDS = "com|org|net|uk|scot|wales|eu|io|info|gov|edu|co|me|app|dev|ai|ly|biz"
_DOMAIN = rf"(?<![\w.@/-])(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})(?![\w-])(?:/[^\s<>|]*)?"
# A mention right after `<` is markup typed by hand (`<@U123>`, as tests do): it stays text.
_SPECIAL_MENTION = r"(?<![\w@<])@(?:here|channel|everyone)(?![\w-])"
_TRAILING = ".,;:!?)]}'\""


def escape_command_text(text: str, users: list[dict[str, Any]], channels: dict[str, str]) -> str:
    """The `text` Slack sends for a command with `should_escape: true`, from what the
    person typed: `&`, `<`, `>` as entities; links as `<https://…>`, bare domains as
    `<http://example.org|example.org>`, addresses as `<mailto:a@b.org|a@b.org>`; `@name` of
    one of `users` (name, display name or id) as `<@U…|name>`, `#name` of one of `channels`
    (id → name) as `<#C…|name>`; `@here`, `@channel`, `@everyone` as `<!here>` etc."""
    people: dict[str, dict[str, Any]] = {}
    for user in users:
        for handle in (user["name"], user["profile"]["display_name"], user["id"]):
            if handle:
                people.setdefault(handle.lower(), user)
    kinds = [
        ("url", _URL),
        ("email", _EMAIL),
        ("domain", _DOMAIN),
        ("special", _SPECIAL_MENTION),
    ]
    if people:  # the longest handle first, so `@sam.member` is not read as `@sam`
        handles = "|".join(map(re.escape, sorted(people, key=len, reverse=True)))
        kinds.append(("person", rf"(?<![\w@<])@(?:{handles})(?![\w-])"))
    by_name = {name.lower(): channel_id for channel_id, name in channels.items()}
    if by_name:
        names = "|".join(map(re.escape, sorted(by_name, key=len, reverse=True)))
        kinds.append(("channel", rf"(?<![\w#&<])#(?:{names})(?![\w-])"))
    pattern = re.compile("|".join(f"(?P<{kind}>{rx})" for kind, rx in kinds), re.IGNORECASE)
    out: list[str] = []
    done = 0
    for match in pattern.finditer(text):
        found, kind = match[0], match.lastgroup
        out.append(_escaped(text[done : match.start()]))
        done = match.end()
        if kind in ("url", "domain"):
            link = found.rstrip(_TRAILING)
            out.append(_escaped_link(link, kind == "domain") + _escaped(found[len(link) :]))
        elif kind == "email":
            out.append(f"<mailto:{_escaped(found)}|{_escaped(found)}>")
        elif kind == "special":
            out.append(f"<!{found[1:].lower()}>")
        elif kind == "person":
            user = people[found[1:].lower()]
            out.append(f"<@{user['id']}|{_escaped(user['name'])}>")
        else:
            name = found[1:].lower()
            out.append(f"<#{by_name[name]}|{_escaped(channels[by_name[name]])}>")
    out.append(_escaped(text[done:]))
    return "".join(out)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_link(link: str, bare: bool) -> str:
    """A typed link as Slack marks it up; a bare domain is given a scheme and keeps its text."""
    return f"<http://{_escaped(link)}|{_escaped(link)}>" if bare else f"<{_escaped(link)}>"
