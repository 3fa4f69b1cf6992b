"""A local fake of Slack's Web API: records every call and refuses what Slack would refuse.

Tests, benchmarks and the playground point `SLACK_API_URL` at it. It binds 127.0.0.1 on an
ephemeral port and accepts every form slack_sdk sends: GET query strings, form-encoded POSTs
(where `blocks` and `view` are JSON strings), multipart forms and JSON bodies. It checks blocks
and views with slack_sdk's own models, so the limits it enforces are the SDK's, plus the ones the
SDK leaves out (50 blocks and 12,000 characters of blocks a message, 40,000 characters of text).
It takes files the way `files_upload_v2` sends them: an upload URL, the bytes posted there, then
files.completeUploadExternal. It can be told to answer 429 or 500, or to be slow. And it
escapes slash-command text as Slack does for `should_escape: true` (`escape_command_text`),
which the driver applies to what a test types.
"""

from __future__ import annotations

import contextlib
import copy
import email
import email.policy
import itertools
import json
import os
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

TEAM_ID = "T0FAKE"
APP_ID = "A0PARTNERBOT"
BOT_USER_ID = "UPARTNERBOT"
BOT_ID = "BPARTNERBOT"
MESSAGE_BLOCKS_MAX = 50
MESSAGE_BLOCKS_CHARS_MAX = 12_000
TEXT_MAX = 40_000
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60.0
UPLOAD_PATH = "/upload/v1/"
GENERAL = ("C0GENERAL", "general")  # the channel the driver's commands come from by default
# Slack links a typed URL up to a space, a `<`, `>` or `|`, leaving out the punctuation that
# ends a sentence; a bare domain, when its top-level domain is one it knows.
_URL = r"https?://[^\s<>|]+"
_EMAIL = r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_TLDS = "com|org|net|uk|scot|wales|eu|io|info|gov|edu|co|me|app|dev|ai|ly|biz"
_DOMAIN = rf"(?<![\w.@/-])(?:[A-Za-z0-9-]+\.)+(?:{_TLDS})(?![\w-])(?:/[^\s<>|]*)?"
# A mention right after `<` is markup typed by hand (`<@U123>`, as tests do): it stays text.
_SPECIAL_MENTION = r"(?<![\w@<])@(?:here|channel|everyone)(?![\w-])"
_TRAILING = ".,;:!?)]}'\""

# Required arguments: Slack's published description (web_api_openapi_v2.json) plus what it misses
# (users.info needs `user`; chat.delete needs `channel` and `ts`). The description predates the
# files.*External methods, whose required arguments are those of Slack's method pages.
REQUIRED: dict[str, tuple[str, ...]] = {
    "auth.test": (),
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
}
# Arguments of which Slack needs at least one, and the error it answers when none is there.
ONE_OF: dict[str, tuple[tuple[str, ...], str]] = {
    "conversations.open": (("users", "channel"), "users_list_not_supplied"),
    "views.update": (("view_id", "external_id"), "invalid_arguments"),
}
# Methods that post message content, which must pass the message checks.
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
# Arguments that form-encoded calls carry as JSON strings.
JSON_ARGUMENTS = ("blocks", "view", "attachments", "files")


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


@dataclass
class Call:
    """One request the fake received, with what it answered."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    response: dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file files.completeUploadExternal completed; `channel` is None for a private one."""

    file_id: str
    filename: str
    title: str
    channel: str | None
    content: bytes
    initial_comment: str


@dataclass
class _ResponseUrl:
    issued: float
    uses: int = 0
    user: str | None = None  # who the reply is for, and where: ephemeral messages are theirs
    channel: str | None = None
    message_ts: str | None = None  # the message the click came from (replace_original)


@dataclass
class _Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    file_id: str
    token: str  # the upload URL's last segment
    filename: str
    length: int
    content: bytes | None = None  # None until the bytes are posted to the upload URL


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the recorded calls are the log, and test output stays readable."""


class FakeSlack:
    """Slack's Web API and response URLs on a local port, recording calls in arrival order."""

    def __init__(
        self,
        latency: float = 0.0,
        post_limits: tuple[float, int] | None = None,
        niceness: int = 0,
    ) -> None:
        """`post_limits` = (seconds between posts to one channel, posts a second workspace-wide)
        makes chat.postMessage answer 429 as Slack does when they are exceeded. `niceness`
        lowers the CPU priority of the threads answering calls (Linux nice): a benchmark's fake
        stands in for Slack's servers, whose work is not done on the app's machine."""
        self.latency = latency
        self.niceness = niceness
        self.post_limits = post_limits
        self._last_post: dict[str, float] = {}
        self._recent_posts: deque[float] = deque()
        self.calls: list[Call] = []
        self._lock = threading.Condition()
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, str] = dict([GENERAL])  # id → name
        self._failures: dict[str, deque[tuple[int, int]]] = {}
        self._stalls: dict[str, deque[float]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float | None] = {}  # issue time; None once exchanged
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._upload_urls: dict[str, str] = {}  # upload URL token -> file id
        self._uploads: dict[str, _Upload] = {}  # by file id, until completed
        self._uploaded: list[UploadedFile] = []
        self._ephemeral: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (user, channel)
        self._modals: dict[str, list[str]] = {}  # user → stack of open modal view ids
        self._homes: dict[str, str] = {}  # user → published Home view id
        self._trigger_users: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._last_ts = 0
        self._server: _Server | None = None

    # Lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = _Server(self)
            # A short poll interval so that stop() (and so every test's teardown) is quick.
            thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
            )
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The Web API root, with the trailing slash slack_sdk's WebClient(base_url=...) needs."""
        return f"{self._origin}/api/"

    @property
    def _origin(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # What tests set up and read -----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        real_name: str,
        display_name: str = "",
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": (display_name or real_name).lower().replace(" ", "."),
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {"real_name": real_name, "display_name": display_name},
        }
        with self._lock:
            self._users[user_id] = user

    def add_channel(self, channel_id: str, name: str) -> None:
        """A channel whose `#name` typed in a command Slack sends as `<#C…|name>`."""
        with self._lock:
            self._channels[channel_id] = name.lstrip("#")

    def escape_command_text(self, text: str) -> str:
        """The `text` Slack sends for a command with `should_escape: true`, from what the
        person typed: `&`, `<`, `>` as entities; links as `<https://…>`, bare domains as
        `<http://example.org|example.org>`, addresses as `<mailto:a@b.org|a@b.org>`; `@name`
        of a person this fake knows (name, display name or id) as `<@U…|name>`, `#name` of a
        channel it knows as `<#C…|name>`; `@here`, `@channel`, `@everyone` as `<!here>` etc."""
        with self._lock:
            users = [u for u in self._users.values() if not u["deleted"]]
            channels = dict(self._channels)
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

    def new_response_url(
        self, user: str | None = None, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response URL; given the user and channel, replies to it are kept as ephemeral
        messages only that user sees there (and `replace_original` replaces `message_ts`)."""
        token = f"R{next(self._counter):06d}"
        with self._lock:
            self._response_urls[token] = _ResponseUrl(
                time.monotonic(), 0, user, _dm_channel(channel) if channel else None, message_ts
            )
        return f"{self._origin}/response/{token}"

    def new_trigger_id(self, user: str | None = None) -> str:
        """A trigger id; given the user, the modal it opens is theirs (see `modal_of`)."""
        trigger = f"{next(self._counter)}.{TEAM_ID}.trigger"
        with self._lock:
            self._triggers[trigger] = time.monotonic()
            if user:
                self._trigger_users[trigger] = user
        return trigger

    def fail_next(
        self, method: str, status: int, count: int = 1, retry_after: int = 1, after: int = 0
    ) -> None:
        """Answer `count` calls of `method` (or "response_url" or "file_upload") with a 429 or a
        500, once `after` more calls have succeeded (to break a run part-way through)."""
        if status not in (429, 500):
            raise ValueError(f"fail_next fakes 429 or 500, not {status}")
        with self._lock:
            queued = self._failures.setdefault(method, deque())
            queued.extend([(200, 0)] * after + [(status, retry_after)] * count)

    def stall_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Do `count` calls of `method` but answer each only after `seconds`: the timeout after
        which the client cannot know that Slack acted (as real Slack sometimes does)."""
        with self._lock:
            self._stalls.setdefault(method, deque()).extend([seconds] * count)

    def reset(self) -> None:
        """Forget everything but the users, so one running fake can serve many tests."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._stalls.clear()
            self._messages.clear()
            self._views.clear()
            self._triggers.clear()
            self._response_urls.clear()
            self._upload_urls.clear()
            self._uploads.clear()
            self._uploaded.clear()
            self._ephemeral.clear()
            self._modals.clear()
            self._homes.clear()
            self._trigger_users.clear()

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait for `count` calls of `method` matching `predicate`: the app answers Slack late."""

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (not predicate or predicate(c))]

        with self._lock:
            if self._lock.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            seen = ", ".join(
                f"{c.method}({c.status}{' ' + c.error if c.error else ''})" for c in self.calls
            )
        raise AssertionError(
            f"expected {count} × {method} within {timeout}s; got: {seen or 'nothing'}"
        )

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The channel's messages as they are now, after updates and deletes."""
        with self._lock:
            return copy.deepcopy(self._messages.get(_dm_channel(channel), []))

    def uploaded_files(self, channel: str | None = None) -> list[UploadedFile]:
        """The completed uploads in order, or only those shared to `channel` (a user id: the DM)."""
        with self._lock:
            if channel is None:
                return list(self._uploaded)
            return [f for f in self._uploaded if f.channel == _dm_channel(channel)]

    # Serving ------------------------------------------------------------------------------------

    def _serve(self, request: _Handler) -> None:
        """Answer one request as Slack would, and record it; a bug in the fake answers 500."""
        if self.niceness:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.niceness)
        time.sleep(self.latency)
        url = urllib.parse.urlsplit(request.path)
        is_response_url = url.path.startswith("/response/")
        is_upload = url.path.startswith(UPLOAD_PATH)
        if is_response_url or is_upload:
            method = "response_url" if is_response_url else "file_upload"
        else:
            method = url.path.removeprefix("/api/")
        args: dict[str, Any] = {}
        headers: dict[str, str] = {}
        content = b""
        try:
            if is_upload:  # raw bytes, whatever Content-Type urllib gives them
                content = request.rfile.read(int(request.headers.get("Content-Length") or 0))
                args = {"size": len(content)}
            else:
                args = _read_args(request, url.query)
            if is_response_url or is_upload:
                args["url"] = self._origin + url.path
            failure = self._take_failure(method) or self._over_post_limits(method, args)
            if failure is not None:
                status, answer, headers = failure
            elif is_response_url:
                status, answer = 200, self._post_to_response_url(url.path.rsplit("/", 1)[1], args)
            elif is_upload:
                status, answer = 200, self._post_to_upload_url(url.path.rsplit("/", 1)[1], content)
            else:
                authorization = request.headers.get("Authorization") or ""
                status, answer = 200, self._call(method, args, authorization)
        except SlackRefusal as refusal:
            plain = is_response_url or is_upload
            status, answer = refusal.status or (400 if plain else 200), refusal.answer()
        except Exception as bug:
            status, answer = 500, SlackRefusal("fake_slack_bug", repr(bug)).answer()
        self._record(Call(method, args, status, answer["ok"], answer.get("error"), answer))
        # Response URLs answer in plain text ("ok" or the error), upload URLs too ("OK - <bytes>"),
        # the Web API in JSON.
        if is_response_url:
            body = answer.get("error") or "ok"
        elif is_upload:
            body = answer.get("error") or f"OK - {len(content)}"
        else:
            body = json.dumps(answer)
        with self._lock:
            stalls = self._stalls.get(method)
            stall = stalls.popleft() if stalls else 0.0
        time.sleep(stall)
        with contextlib.suppress(ConnectionError):  # a client that gave up is not our problem
            _send(request, status, body, headers)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _over_post_limits(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if self.post_limits is None or method != "chat.postMessage":
            return None
        gap, per_second = self.post_limits
        channel, now = str(args.get("channel")), time.monotonic()
        with self._lock:
            while self._recent_posts and now - self._recent_posts[0] >= 1.0:
                self._recent_posts.popleft()
            if (
                now - self._last_post.get(channel, -gap) < gap
                or len(self._recent_posts) >= per_second
            ):
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            self._last_post[channel] = now
            self._recent_posts.append(now)
        return None

    def _take_failure(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        with self._lock:
            queued = self._failures.get(method)
            if not queued:
                return None
            status, retry_after = queued.popleft()
        if status == 200:
            return None
        if status == 429:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        return 500, {"ok": False, "error": "internal_error"}, {}

    def _post_to_response_url(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Each response URL takes 5 posts within 30 minutes, as Slack's do."""
        with self._lock:
            url = self._response_urls.get(token)
            if (
                url is None
                or url.uses >= RESPONSE_URL_USES
                or time.monotonic() - url.issued > RESPONSE_URL_LIFETIME
            ):
                raise SlackRefusal("used_url", status=404)
            url.uses += 1
        if not args.get("delete_original"):
            _check_message(args)
        if url.user and url.channel:
            self._keep_response(url, args)
        return {"ok": True}

    def _keep_response(self, url: _ResponseUrl, args: dict[str, Any]) -> None:
        """What a person would see: an ephemeral reply, or the original replaced or deleted."""
        assert url.user and url.channel
        with self._lock:
            mine = self._ephemeral.setdefault((url.user, url.channel), [])
            original = next((m for m in mine if m["ts"] == url.message_ts), None)
            if args.get("delete_original") and original is not None:
                mine.remove(original)
                return
            if args.get("replace_original") and original is not None:
                original.update(_content(args, {}))
                return
            if args.get("response_type") == "in_channel":
                message = {"type": "message", "user": BOT_USER_ID, "ts": self._next_ts()}
                message.update(_content(args, {"text": "", "blocks": []}))
                self._messages.setdefault(url.channel, []).append(message)
                return
            message = {"type": "message", "ephemeral": True, "ts": self._next_ts()}
            mine.append(message | _content(args, {"text": "", "blocks": []}))

    # Surfaces a person sees (for the playground) -------------------------------------------------

    def ephemeral_messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._ephemeral.get((user, _dm_channel(channel)), []))

    def modal_of(self, user: str) -> dict[str, Any] | None:
        """The modal on top of the user's stack, as Slack holds it, or None."""
        with self._lock:
            stack = self._modals.get(user) or []
            return copy.deepcopy(self._views.get(stack[-1])) if stack else None

    def close_modal(self, user: str, everything: bool = False) -> None:
        with self._lock:
            stack = self._modals.get(user) or []
            del stack[0 if everything else -1 :]

    def replace_modal(self, user: str, view: dict[str, Any]) -> None:
        """A view_submission answered with response_action "update"."""
        current = self.modal_of(user)
        if current is not None:
            self._store_view(_check_view(view, {"modal"}), current["id"])

    def home_of(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self._homes.get(user)
            return copy.deepcopy(self._views.get(view_id)) if view_id else None

    def _post_to_upload_url(self, token: str, content: bytes) -> dict[str, Any]:
        """Keep the bytes for the file, refusing a count other than the `length` announced
        (Slack refuses that mismatch; here the upload URL does, so the SDK fails at once)."""
        with self._lock:
            upload = self._uploads.get(self._upload_urls.get(token, ""))
            if upload is None:
                raise SlackRefusal("not_found", status=404)
            if len(content) != upload.length:
                raise SlackRefusal(
                    "file_upload_size_mismatch",
                    f"got {len(content)} bytes, length was {upload.length}",
                )
            upload.content = content
        return {"ok": True, "file_id": upload.file_id}

    # The methods -------------------------------------------------------------------------------

    def _call(self, method: str, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        if method not in REQUIRED:
            raise SlackRefusal("unknown_method")
        body_token = args.pop("token", "")  # recorded arguments are the method's own
        token = authorization.removeprefix("Bearer ").strip() or body_token
        if not token:
            raise SlackRefusal("not_authed")
        if not str(token).startswith("xoxb-"):
            raise SlackRefusal("invalid_auth")
        missing = [name for name in REQUIRED[method] if _absent(args.get(name))]
        if missing:
            raise SlackRefusal(
                "invalid_arguments", *(f"missing required field: {m}" for m in missing)
            )
        if method in ONE_OF:
            names, error = ONE_OF[method]
            if all(_absent(args.get(name)) for name in names):
                raise SlackRefusal(error, f"missing required field: {' or '.join(names)}")
        if method in MESSAGE_METHODS:
            _check_message(args)
        return {"ok": True, **getattr(self, "_" + method.replace(".", "_"))(args)}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake-partnership.slack.com/",
            "team": "Fake Partnership",
            "user": "partnerbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(args["user"])
        if user is None:
            raise SlackRefusal("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel") or _dm_channel(str(args["users"]).split(",")[0])
        return {"channel": {"id": channel}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_dm_reachable(args["channel"])
        channel = _dm_channel(args["channel"])
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": self._next_ts()}
        message.update(_content(args, {"text": "", "blocks": []}))
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self._lock:
            self._messages.setdefault(channel, []).append(message)
            return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _check_dm_reachable(self, channel: str) -> None:
        """A DM by user id reaches only a known, active person, as on Slack."""
        if channel[:1] in {"U", "W"}:
            user = self._users.get(channel)
            if user is None:
                raise SlackRefusal("channel_not_found")
            if user["deleted"]:
                raise SlackRefusal("account_inactive")

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace what the update carries; Slack keeps blocks and attachments it leaves out."""
        channel = _dm_channel(args["channel"])
        with self._lock:
            message = self._find_message(channel, args["ts"])
            message.update(_content(args, {}))
            answer = {"channel": channel, "ts": args["ts"], "text": message["text"]}
            return answer | {"message": copy.deepcopy(message)}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _dm_channel(args["channel"])
        with self._lock:
            message = self._find_message(channel, args["ts"])
            self._messages[channel].remove(message)
        return {"channel": channel, "ts": args["ts"]}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        length = str(args["length"])
        if not length.isdecimal() or int(length) == 0:
            raise SlackRefusal(
                "invalid_arguments", "length must be a positive integer [json-pointer:/length]"
            )
        number = next(self._counter)
        file_id, token = f"F{number:08d}", f"UP{number:06d}"
        with self._lock:
            self._uploads[file_id] = _Upload(file_id, token, str(args["filename"]), int(length))
            self._upload_urls[token] = file_id
        return {"upload_url": f"{self._origin}{UPLOAD_PATH}{token}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """Complete every file or none; a bot shares into a DM by its D… id, not a user id."""
        entries = args["files"]
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and entry.get("id") for entry in entries
        ):
            raise SlackRefusal(
                "invalid_arguments", "must be an array of objects with an id [json-pointer:/files]"
            )
        channel = args.get("channel_id") or None
        if channel is not None and channel[:1] in {"U", "W"}:
            raise SlackRefusal("invalid_channel")
        comment = str(args.get("initial_comment") or "")
        with self._lock:
            completed: dict[str, UploadedFile] = {}
            for entry in entries:
                upload = self._uploads.get(str(entry["id"]))
                # Unknown, never posted to its upload URL, or completed already (here or before).
                if upload is None or upload.content is None or upload.file_id in completed:
                    raise SlackRefusal("file_not_found")
                title = entry.get("title") or upload.filename
                completed[upload.file_id] = UploadedFile(
                    upload.file_id, upload.filename, title, channel, upload.content, comment
                )
            for file_id in completed:
                del self._upload_urls[self._uploads.pop(file_id).token]
            self._uploaded.extend(completed.values())
            files = [_file_object(file) for file in completed.values()]
            if channel is not None:
                message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID}
                message |= {"ts": self._next_ts(), "text": comment, "files": files}
                if args.get("thread_ts"):
                    message["thread_ts"] = args["thread_ts"]
                self._messages.setdefault(channel, []).append(message)
            return {"files": copy.deepcopy(files)}

    def _views_open(self, args: dict[str, Any], push: bool = False) -> dict[str, Any]:
        view = _check_view(args["view"], {"modal"})
        self._exchange_trigger(args["trigger_id"])
        stored = self._store_view(view)
        with self._lock:
            user = self._trigger_users.get(args["trigger_id"])
            if user:
                stack = self._modals.setdefault(user, [])
                stack[:] = [*stack, stored["id"]] if push else [stored["id"]]
        return {"view": stored}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(args, push=True)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _check_view(args["view"], {"modal", "home"})
        with self._lock:
            if args.get("view_id"):
                current = self._views.get(args["view_id"])
            else:
                views = self._views.values()
                current = next((v for v in views if v["external_id"] == args["external_id"]), None)
        if current is None:
            raise SlackRefusal("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackRefusal("hash_conflict")
        return {"view": self._store_view(view, current["id"], current["external_id"])}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """One Home view per user, updated in place as Slack does."""
        view = _check_view(args["view"], {"home"})
        with self._lock:
            current = self._homes.get(args["user_id"])
        stored = self._store_view(view, current)
        with self._lock:
            self._homes[args["user_id"]] = stored["id"]
        return {"view": stored}

    # Helpers -----------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        """Unique, increasing message timestamps in Slack's "seconds.micros" form: the time
        of posting, as on Slack (the playground shows it), nudged on when two share a moment."""
        with self._lock:
            self._last_ts = max(time.time_ns() // 1000, self._last_ts + 100)
            micros = self._last_ts
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find_message(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackRefusal("message_not_found")

    def _exchange_trigger(self, trigger_id: str) -> None:
        with self._lock:
            if trigger_id not in self._triggers:
                raise SlackRefusal("invalid_trigger_id")
            issued = self._triggers[trigger_id]
            self._triggers[trigger_id] = None
        if issued is None:
            raise SlackRefusal("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_LIFETIME:
            raise SlackRefusal("expired_trigger_id")

    def _store_view(
        self, view: dict[str, Any], view_id: str | None = None, external_id: str = ""
    ) -> dict[str, Any]:
        """Keep the view as Slack returns it: with an id, a hash and an empty state."""
        number = next(self._counter)
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
        with self._lock:
            self._views[stored["id"]] = stored
            return copy.deepcopy(stored)


def _send(request: BaseHTTPRequestHandler, status: int, body: str, headers: dict[str, str]) -> None:
    data = body.encode()
    request.send_response(status)
    content_type = "application/json" if body.startswith("{") else "text/plain"
    request.send_header("Content-Type", f"{content_type}; charset=utf-8")
    request.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(data)


def _read_args(request: BaseHTTPRequestHandler, query: str) -> dict[str, Any]:
    """Arguments from a query string, a form, a multipart form or a JSON body."""
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
    content_type = request.headers.get_content_type()
    if content_type == "application/json":
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise SlackRefusal("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackRefusal("json_not_object")
        args.update(body)
    elif content_type == "multipart/form-data":  # WebClient.api_call(data=...) sends these
        header = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
        message = email.message_from_bytes(header + raw, policy=email.policy.HTTP)
        for part in message.iter_parts():
            args[str(part.get_param("name", header="content-disposition"))] = part.get_content()
    else:
        args.update(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
    for name in JSON_ARGUMENTS:
        if isinstance(args.get(name), str):
            with contextlib.suppress(ValueError):  # left as a string, which the checks refuse
                args[name] = json.loads(args[name])
    return args


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_link(link: str, bare: bool) -> str:
    """A typed link as Slack marks it up; a bare domain is given a scheme and keeps its text."""
    return f"<http://{_escaped(link)}|{_escaped(link)}>" if bare else f"<{_escaped(link)}>"


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == []


def _dm_channel(channel: str) -> str:
    """A user id as a channel means that user's DM with the bot, as on Slack."""
    return "D" + channel[1:] if channel[:1] in {"U", "W"} else channel


def _file_object(file: UploadedFile) -> dict[str, Any]:
    """A file as Slack shows it in answers and messages, cut to what tests look at."""
    return {
        "id": file.file_id,
        "name": file.filename,
        "title": file.title,
        "size": len(file.content),
    }


def _content(args: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The message content an update or a post carries, over `defaults`."""
    return defaults | {k: args[k] for k in ("text", "blocks", "attachments") if k in args}


def _check_message(args: dict[str, Any]) -> None:
    text, blocks = args.get("text"), args.get("blocks")
    if _absent(text) and _absent(blocks) and _absent(args.get("attachments")):
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


def _check_view(view: Any, types: set[str]) -> dict[str, Any]:
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
