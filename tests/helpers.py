"""Small readers of what the app sent, so assertions say what a person would see."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any


def shown(payload: Any) -> str:
    """Every piece of text in a message or view, as one string to search."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str) and node.startswith(("[", "{")):
            with contextlib.suppress(ValueError):
                walk(json.loads(node))

    walk(payload)
    return "\n".join(texts)


def buttons(payload: dict) -> list[dict]:
    """The buttons in a message's blocks (actions blocks and section accessories)."""
    found = []
    for block in payload.get("blocks") or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found.append(element)
    return found


def replies_to(bot: Any, act: Callable[[], object], count: int = 1) -> list[dict]:
    """What the app answered through response URLs to `act` (a click or a form), in order."""
    seen = len(bot.fake.calls_to("response_url"))
    act()
    return [call.args for call in bot.fake.wait_for("response_url", count=seen + count)[seen:]]
