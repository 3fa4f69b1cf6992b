"""What the fake Slack holds, as Slack would: the workspace's people and channels, messages,
views (modals and Home tabs), ephemeral replies, and the short-lived things Slack hands out
(trigger ids, response URLs, upload URLs); and every call received, in arrival order.

One lock guards it all; it is a condition so that a test can wait for a call to arrive.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

TEAM_ID = "T0FAKE"
APP_ID = "A0PARTNERBOT"
BOT_USER_ID = "UPARTNERBOT"
BOT_ID = "BPARTNERBOT"
GENERAL = ("C0GENERAL", "general")  # the channel the driver's commands come from by default
# The app's credentials for Slack's OAuth flow (its "Basic Information" page): oauth.v2.access
# and apps.uninstall answer only to them.
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
CODE_LIFETIME = 600.0  # seconds an OAuth code works, as on Slack


@dataclass
class Call:
    """One request the fake received, with what it answered, and when (time.monotonic()) it
    arrived and was done: calls whose spans overlap were in flight together."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    response: dict[str, Any]
    arrived: float = 0.0
    done: float = 0.0
    token: str = ""  # the token the call carried


@dataclass(frozen=True)
class UploadedFile:
    """A file files.completeUploadExternal completed; `channel` is None for a private one."""

    file_id: str
    filename: str
    title: str
    channel: str | None
    content: bytes
    initial_comment: str


@dataclass(frozen=True)
class SharedFile:
    """A file a person put in Slack (in a form's file input, say): private to them, readable
    by an app with `files:read` through files.info and its url_private_download."""

    file_id: str
    user: str
    filename: str
    content: bytes
    created: int


@dataclass
class ResponseUrl:
    issued: float
    uses: int = 0
    user: str | None = None  # who the reply is for, and where: ephemeral messages are theirs
    channel: str | None = None
    message_ts: str | None = None  # the message the click came from (replace_original)


@dataclass
class OAuthCode:
    """What Slack hands the installer's browser after "Allow": the install it stands for."""

    team_id: str
    team_name: str
    user_id: str
    scope: str  # the bot scopes the authorize URL asked for, granted
    redirect_uri: str | None  # the one the authorize URL named, which the exchange must repeat
    issued: float
    used: bool = False
    enterprise_id: str | None = None  # an install across an Enterprise Grid organisation


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    file_id: str
    token: str  # the upload URL's last segment
    filename: str
    length: int
    content: bytes | None = None  # None until the bytes are posted to the upload URL


class SlackState:
    """Slack's side of things; read and changed under `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, str] = dict([GENERAL])  # id → name
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, float | None] = {}  # issue time; None once exchanged
        self.trigger_users: dict[str, str] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.upload_urls: dict[str, str] = {}  # upload URL token -> file id
        self.uploads: dict[str, Upload] = {}  # by file id, until completed
        self.uploaded: list[UploadedFile] = []
        self.shared: dict[str, SharedFile] = {}  # people's files, by id
        self.ephemeral: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (user, channel)
        self.modals: dict[str, list[str]] = {}  # user → stack of open modal view ids
        self.homes: dict[str, str] = {}  # user → published Home view id
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.bot_tokens: dict[str, str] = {}  # bot token issued by oauth.v2.access → team id
        self.revoked: set[str] = set()  # tokens revoked (their app uninstalled)
        self._counter = itertools.count(1)
        self._last_ts = 0

    def reset(self) -> None:
        """Forget everything but the people and channels."""
        with self.lock:
            self.calls.clear()
            self.messages.clear()
            self.views.clear()
            self.triggers.clear()
            self.response_urls.clear()
            self.upload_urls.clear()
            self.uploads.clear()
            self.uploaded.clear()
            self.shared.clear()
            self.ephemeral.clear()
            self.modals.clear()
            self.homes.clear()
            self.trigger_users.clear()
            self.oauth_codes.clear()
            self.bot_tokens.clear()
            self.revoked.clear()

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)
            self.lock.notify_all()

    def next_number(self) -> int:
        """A fresh number for ids (views, files, triggers, response URLs)."""
        return next(self._counter)

    def next_ts(self) -> str:
        """Unique, increasing message timestamps in Slack's "seconds.micros" form: the time
        of posting, as on Slack (the playground shows it), nudged on when two share a moment."""
        with self.lock:
            self._last_ts = max(time.time_ns() // 1000, self._last_ts + 100)
            micros = self._last_ts
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def store_view(
        self, view: dict[str, Any], view_id: str | None = None, external_id: str = ""
    ) -> dict[str, Any]:
        """Keep the view as Slack returns it: with an id, a hash and an empty state."""
        number = self.next_number()
        stored = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": external_id,
            **view,
            "id": view_id or f"V{number:08d}",
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": f"{int(time.time())}.{number:08x}",
            "state": {"values": {}},
        }
        with self.lock:
            self.views[stored["id"]] = stored
            return copy.deepcopy(stored)


def dm_channel(channel: str) -> str:
    """A user id as a channel means that user's DM with the bot, as on Slack."""
    return "D" + channel[1:] if channel[:1] in {"U", "W"} else channel
