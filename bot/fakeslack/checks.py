"""What Slack refuses: missing arguments, bad tokens, messages, blocks and views over its limits.

Blocks and views are checked with slack_sdk's own models, so the limits are the SDK's, plus the
ones the SDK leaves out (50 blocks and 12,000 characters of blocks a message, 40,000 characters
of text).
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
MESSAGE_BLOCKS_CHARS_MAX = 12_000
TEXT_MAX = 40_000

# Required arguments: Slack's published description (web_api_openapi_v2.json) plus what it misses
# (users.info needs `user`; chat.delete needs `channel` and `ts`). The description predates the
# files.*External methods, whose required arguments are those of Slack's method pages.
REQUIRED: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "oauth.v2.access": ("code",),
    "apps.uninstall": (),
    "users.info": ("user",),
    "conversations.open": (),
    "chat.postMessage": ("channel",),
    "chat.postEphemeral": ("channel", "user"),
    "chat.update": ("channel", "ts"),
    "chat.delete": ("channel", "ts"),
    "views.open": ("trigger_id", "view"),
    "views.push": ("trigger_id", "view"),
    "views.update": ("view",),
    "views.publish": ("user_id", "view"),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "files.info": ("file",),
}
# Arguments of which Slack needs at least one, and the error it answers when none is there.
ONE_OF: dict[str, tuple[tuple[str, ...], str]] = {
    "conversations.open": (("users", "channel"), "users_list_not_supplied"),
    "views.update": (("view_id", "external_id"), "invalid_arguments"),
}
# Methods that post message content, which must pass the message checks.
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})


class SlackRefusal(Exception):
    """What Slack answers with ok=false: an error code and, sometimes, explanations."""

    def __init__(self, error: str, *messages: str, status: int | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = [f"[ERROR] {message}" for message in messages]
        self.status = status  # None: Slack's usual status for the route (API 200, response URL 400)

    def answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            answer["response_metadata"] = {"messages": self.messages}
        return answer


# Methods an app calls with its client id and secret rather than a token.
CLIENT_METHODS = frozenset({"oauth.v2.access"})


def check_call(method: str, args: dict[str, Any], token: str) -> None:
    """Refuse a call of a method Slack has (in REQUIRED) that Slack refuses before doing
    anything: no token or not a bot's (but for CLIENT_METHODS), a required argument missing,
    or message content over Slack's limits."""
    if method not in CLIENT_METHODS:
        if not token:
            raise SlackRefusal("not_authed")
        if not str(token).startswith("xoxb-"):
            raise SlackRefusal("invalid_auth")
    missing = [name for name in REQUIRED[method] if absent(args.get(name))]
    if missing:
        raise SlackRefusal("invalid_arguments", *(f"missing required field: {m}" for m in missing))
    if method in ONE_OF:
        names, error = ONE_OF[method]
        if all(absent(args.get(name)) for name in names):
            raise SlackRefusal(error, f"missing required field: {' or '.join(names)}")
    if method in MESSAGE_METHODS:
        check_message(args)


def absent(value: Any) -> bool:
    return value is None or value == "" or value == []


def check_message(args: dict[str, Any]) -> None:
    text, blocks = args.get("text"), args.get("blocks")
    if absent(text) and absent(blocks) and absent(args.get("attachments")):
        raise SlackRefusal("no_text")
    if text is not None and len(str(text)) > TEXT_MAX:
        raise SlackRefusal("msg_too_long")
    if blocks is None:
        return
    if isinstance(blocks, list) and len(blocks) > MESSAGE_BLOCKS_MAX:
        raise SlackRefusal(
            "invalid_blocks",
            f"no more than {MESSAGE_BLOCKS_MAX} items allowed [json-pointer:/blocks]",
        )
    _check_blocks(blocks, "invalid_blocks", "/blocks")
    size = len(json.dumps(blocks, separators=(",", ":"), ensure_ascii=False))
    if size > MESSAGE_BLOCKS_CHARS_MAX:
        raise SlackRefusal(
            "invalid_blocks",
            f"blocks are {size} characters, over {MESSAGE_BLOCKS_CHARS_MAX} [json-pointer:/blocks]",
        )


def check_view(view: Any, types: set[str]) -> dict[str, Any]:
    """Refuse a view Slack refuses; slack_sdk's View checks the lengths (title 24, ...)."""
    if not isinstance(view, dict):
        raise SlackRefusal("invalid_arguments", "must be an object [json-pointer:/view]")
    if view.get("type") not in types:
        expected = " or ".join(sorted(types))
        raise SlackRefusal(
            "invalid_arguments", f"type must be {expected} [json-pointer:/view/type]"
        )
    if view["type"] == "modal" and not view.get("title"):
        raise SlackRefusal(
            "invalid_arguments", "missing required field: title [json-pointer:/view]"
        )
    if "blocks" not in view:
        raise SlackRefusal(
            "invalid_arguments", "missing required field: blocks [json-pointer:/view]"
        )
    unknown = sorted(set(view) - View.attributes)
    if unknown:
        raise SlackRefusal(
            "invalid_arguments", f"unsupported field [json-pointer:/view/{unknown[0]}]"
        )
    _check_blocks(view["blocks"], "invalid_arguments", "/view/blocks")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as problem:
        raise SlackRefusal("invalid_arguments", f"{problem} [json-pointer:/view]") from None
    return view


def _check_blocks(blocks: Any, error: str, pointer: str) -> None:
    """Refuse a block slack_sdk's models cannot parse, validate, or carry whole.

    `Block.parse` answers None (and logs) for an unknown type, and the models silently drop keys
    and elements they do not know, so a block must come out of `to_dict()` (which runs
    `validate_json()` on it and on everything inside it) as it went in.
    """
    if not isinstance(blocks, list):
        raise SlackRefusal(error, f"must be an array [json-pointer:{pointer}]")
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict):
            raise SlackRefusal(error, f"must be an object [json-pointer:{where}]")
        try:
            parsed = Block.parse(block)
            if parsed is None:
                raise SlackRefusal(
                    error, f"unsupported type {block.get('type')!r} [json-pointer:{where}]"
                )
            lost = _lost(block, parsed.to_dict(), where)
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as problem:
            raise SlackRefusal(error, f"{problem} [json-pointer:{where}]") from None
        if lost:
            raise SlackRefusal(error, f"unsupported or invalid field [json-pointer:{lost}]")


def _lost(sent: Any, kept: Any, pointer: str) -> str | None:
    """Where the SDK's model did not keep what was sent (an unknown key, type or element)."""
    if isinstance(sent, dict) and isinstance(kept, dict):
        for key, value in sent.items():
            if key not in kept:
                return f"{pointer}/{key}"
            if lost := _lost(value, kept[key], f"{pointer}/{key}"):
                return lost
    elif isinstance(sent, list) and isinstance(kept, list):
        for index, (item, kept_item) in enumerate(zip(sent, kept, strict=False)):
            if lost := _lost(item, kept_item, f"{pointer}/{index}"):
                return lost
    elif kept is None or (not isinstance(sent, dict | list) and sent != kept):
        return pointer
    return None
