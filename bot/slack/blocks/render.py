"""Block Kit objects as the JSON Slack is sent: what slack_sdk's `to_dict` gives, for less CPU.

slack_sdk's `to_dict` checks each object against every attribute name it has, then turns each
nested object into a dict twice over; a reply of 80 objects (a week of hot desks) spent half a
millisecond there. This runs the same validators (each class's, found once) and walks each
object once. Classes that shape their own JSON (options, confirmations, …) keep their own
`to_dict`. tests/test_render.py holds the two equal for every kind of block the bot builds.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from slack_sdk.models.basic_objects import (
    EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST,
    JsonObject,
)

_EMPTY_ALLOWED = frozenset(
    (allowed["type"], allowed["property"]) for allowed in EMPTY_ALLOWED_TYPE_AND_PROPERTY_LIST
)
_PLAIN = ("to_dict", "validate_json", "get_non_null_attributes", "get_object_attribute")


def render(value: Any) -> Any:
    """A block (or any part of one, or a list of them) as JSON-ready data; a dict as it is."""
    if isinstance(value, list | tuple):
        return [render(item) for item in value]
    if isinstance(value, JsonObject):
        if not _plain(type(value)):
            return {key: render(item) for key, item in value.to_dict().items()}
        for name in _validators(type(value)):
            getattr(value, name)()
        kind = getattr(value, "type", None)
        rendered = {}
        for key in sorted(value.attributes):
            item = getattr(value, key, None)
            if item is None or (
                (kind, key) not in _EMPTY_ALLOWED and hasattr(item, "__len__") and not len(item)
            ):
                continue
            rendered[key] = render(item)
        return rendered
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):  # as slack_sdk treats any object that renders itself
        return {key: render(item) for key, item in to_dict().items()}
    return value


@cache
def _plain(kind: type) -> bool:
    """Whether `kind` renders as JsonObject does (most blocks and elements)."""
    return all(getattr(kind, name) is getattr(JsonObject, name) for name in _PLAIN)


@cache
def _validators(kind: type) -> tuple[str, ...]:
    """The class's validator methods, in the order slack_sdk runs them."""
    return tuple(
        sorted(
            name
            for name in dir(kind)
            if not name.startswith("__") and getattr(getattr(kind, name, None), "validator", False)
        )
    )
