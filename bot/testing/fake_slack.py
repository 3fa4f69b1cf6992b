"""A local fake of Slack's Web API: records every call and refuses what Slack would refuse.

Tests, benchmarks and the playground point `SLACK_API_URL` at it. It binds 127.0.0.1 on an
ephemeral port. It checks arguments, blocks and views with slack_sdk's own models, so the
limits it enforces are the SDK's (plus the ones the SDK leaves out: 50 blocks a message, 100 a
view, 40,000 characters of text). It can be told to answer 429 or 500, or to be slow.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UPARTNERBOT"
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
MESSAGE_BLOCKS_CHARS_MAX = 12_000
TEXT_MAX = 40_000
TRIGGER_LIFETIME = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60.0

# Required arguments, per Slack's published description with the corrections in design.md.
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
}
NEEDS_CONTENT = {"chat.postMessage", "chat.postEphemeral", "chat.update"}


class SlackRefusal(Exception):
    """What Slack answers with ok=false: an error code and, sometimes, explanations."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


@dataclass
class Call:
    """One request the fake received, with what it answered."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    response: dict[str, Any]
    at: float = field(default_factory=time.time)


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int


@dataclass
class _ResponseUrl:
    created: float
    uses: int = 0


class FakeSlack:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.calls: list[Call] = []
        self._lock = threading.Condition()
        self._users: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, _Failure] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float | None] = {}  # None once used
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # Lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
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
    def origin(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

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
        self._users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": (display_name or real_name).lower().replace(" ", "."),
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "profile": {"real_name": real_name, "display_name": display_name},
        }

    def new_response_url(self) -> str:
        token = f"R{next(self._counter):06d}"
        with self._lock:
            self._response_urls[token] = _ResponseUrl(created=time.monotonic())
        return f"{self.origin}/response/{token}"

    def new_trigger_id(self) -> str:
        trigger = f"trig-{next(self._counter):06d}"
        with self._lock:
            self._triggers[trigger] = time.monotonic()
        return trigger

    def fail_next(self, method: str, status: int, count: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._failures[method] = _Failure(status, count, retry_after)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._messages.clear()
            self._views.clear()
            self._triggers.clear()
            self._response_urls.clear()

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
        """Wait until `count` calls of `method` (matching `predicate`) have arrived."""

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
        with self._lock:
            return [dict(message) for message in self._messages.get(channel, [])]

    # Serving ------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.latency:
            time.sleep(self.latency)
        parsed = urllib.parse.urlsplit(request.path)
        args = _read_args(request, parsed.query)
        if parsed.path.startswith("/response/"):
            status, body, headers = self._respond_url(parsed.path.rsplit("/", 1)[-1], args)
            self._send(request, status, body, headers)
            return
        method = parsed.path.removeprefix("/api/")
        failure = self._take_failure(method)
        if failure is not None:
            error = "ratelimited" if failure.status == 429 else "internal_error"
            body = {"ok": False, "error": error}
            headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            self._record(Call(method, args, failure.status, False, error, body))
            self._send(request, failure.status, json.dumps(body), headers)
            return
        try:
            _check_token(request, args)
            answer = {"ok": True, **self._answer(method, args)}
        except SlackRefusal as refusal:
            answer = {"ok": False, "error": refusal.error}
            if refusal.messages:
                answer["response_metadata"] = {"messages": refusal.messages}
        self._record(Call(method, args, 200, answer["ok"], answer.get("error"), answer))
        self._send(request, 200, json.dumps(answer), {})

    def _send(
        self, request: BaseHTTPRequestHandler, status: int, body: str, headers: dict[str, str]
    ) -> None:
        data = body.encode()
        request.send_response(status)
        is_json = body.startswith("{")
        request.send_header("Content-Type", "application/json" if is_json else "text/plain")
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            failure = self._failures.get(method)
            if failure is None:
                return None
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[method]
            return failure

    def _respond_url(self, token: str, args: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
        args = {**args, "url": f"{self.origin}/response/{token}"}
        with self._lock:
            entry = self._response_urls.get(token)
            expired = entry is None or time.monotonic() - entry.created > RESPONSE_URL_LIFETIME
            if not expired:
                entry.uses += 1
            used_up = expired or entry.uses > RESPONSE_URL_USES
        if used_up:
            self._record(Call("response_url", args, 404, False, "used_url", {}))
            return 404, "used_url", {}
        try:
            if not args.get("delete_original"):
                _check_message(args)
        except SlackRefusal as refusal:
            body = {"ok": False, "error": refusal.error, "messages": refusal.messages}
            self._record(Call("response_url", args, 400, False, refusal.error, body))
            return 400, json.dumps(body), {}
        self._record(Call("response_url", args, 200, True, None, {}))
        return 200, "ok", {}

    # The methods -----------------------------------------------------------------------------

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method not in REQUIRED:
            raise SlackRefusal("unknown_method")
        missing = [name for name in REQUIRED[method] if args.get(name) in (None, "")]
        if missing:
            raise SlackRefusal(
                "invalid_arguments", *(f"missing required field: {m}" for m in missing)
            )
        if method in NEEDS_CONTENT:
            _check_message(args)
        handler = getattr(self, "_" + method.replace(".", "_"))
        return handler(args)

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake-partnership.slack.com/",
            "team": "Fake Partnership",
            "user": "partnerbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "BPARTNERBOT",
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(args["user"])
        if user is None:
            raise SlackRefusal("user_not_found")
        return {"user": user}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users and not args.get("channel"):
            raise SlackRefusal("users_list_not_supplied")
        return {"channel": {"id": args.get("channel") or _dm_channel(users.split(",")[0])}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _dm_channel(args["channel"])
        message = {
            "ts": self._next_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
            "user": BOT_USER_ID,
            "thread_ts": args.get("thread_ts"),
        }
        with self._lock:
            self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _dm_channel(args["channel"])
        message = self._find_message(channel, args["ts"])
        with self._lock:
            message.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
        return {"channel": channel, "ts": args["ts"], "text": message["text"]}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _dm_channel(args["channel"])
        message = self._find_message(channel, args["ts"])
        with self._lock:
            self._messages[channel].remove(message)
        return {"channel": channel, "ts": args["ts"]}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(args["trigger_id"])
        return {"view": self._store_view(args["view"])}

    _views_push = _views_open

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and not args.get("external_id"):
            raise SlackRefusal(
                "invalid_arguments", "missing required field: view_id or external_id"
            )
        if view_id and view_id not in self._views:
            raise SlackRefusal("not_found")
        return {"view": self._store_view(args["view"], view_id)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": self._store_view(args["view"])}

    # Helpers -----------------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._counter)}.000100"

    def _find_message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            for message in self._messages.get(channel, []):
                if message["ts"] == ts:
                    return message
        raise SlackRefusal("message_not_found")

    def _use_trigger(self, trigger_id: str) -> None:
        with self._lock:
            if trigger_id not in self._triggers:
                raise SlackRefusal("invalid_trigger_id")
            issued = self._triggers[trigger_id]
            if issued is None:
                raise SlackRefusal("exchanged_trigger_id")
            self._triggers[trigger_id] = None
        if time.monotonic() - issued > TRIGGER_LIFETIME:
            raise SlackRefusal("expired_trigger_id")

    def _store_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        view = _check_view(view)
        stored = {**view, "id": view_id or f"V{next(self._counter):08d}", "hash": self._next_ts()}
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("state", {"values": {}})
        with self._lock:
            self._views[stored["id"]] = stored
        return stored


def _read_args(request: BaseHTTPRequestHandler, query: str) -> dict[str, Any]:
    """Arguments from the query string, a form body or a JSON body, as slack_sdk sends them."""
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    length = int(request.headers.get("Content-Length") or 0)
    raw = request.rfile.read(length).decode() if length else ""
    if raw:
        if "json" in (request.headers.get("Content-Type") or ""):
            try:
                args.update(json.loads(raw))
            except ValueError:
                args["_invalid_json"] = raw
        else:
            args.update(urllib.parse.parse_qsl(raw))
    for name in ("blocks", "view", "attachments"):  # form-encoded calls send these as JSON
        if isinstance(args.get(name), str):
            with contextlib.suppress(ValueError):  # left a string: refused as malformed
                args[name] = json.loads(args[name])
    return args


def _check_token(request: BaseHTTPRequestHandler, args: dict[str, Any]) -> None:
    header = request.headers.get("Authorization") or ""
    token = header.removeprefix("Bearer ").strip() or args.get("token")
    if not token:
        raise SlackRefusal("not_authed")
    if not str(token).startswith("xoxb-"):
        raise SlackRefusal("invalid_auth")


def _dm_channel(channel: str) -> str:
    """A user id as a channel posts to that user's DM with the bot, as on Slack."""
    return "D" + channel[1:] if channel[:1] in {"U", "W"} else channel


def _check_blocks(blocks: Any, limit: int, error: str) -> list[dict[str, Any]]:
    if not isinstance(blocks, list):
        raise SlackRefusal(error, "blocks must be a list")
    if len(blocks) > limit:
        raise SlackRefusal(error, f"no more than {limit} items allowed [json-pointer:/blocks]")
    checked = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise SlackRefusal(error, f"block {index} is not an object")
        try:
            parsed = Block.parse(block)
            if parsed is None or type(parsed) is Block:
                raise SlackRefusal(error, f"unknown block type {block.get('type')!r} at {index}")
            checked.append(parsed.to_dict())  # to_dict validates the block and its elements
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as problem:
            raise SlackRefusal(error, f"block {index}: {problem}") from None
    return checked


def _check_message(args: dict[str, Any]) -> None:
    text, blocks = args.get("text"), args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        raise SlackRefusal("no_text")
    if text and len(str(text)) > TEXT_MAX:
        raise SlackRefusal("msg_too_long")
    if blocks:
        _check_blocks(blocks, MESSAGE_BLOCKS_MAX, "invalid_blocks")
        if len(json.dumps(blocks)) > MESSAGE_BLOCKS_CHARS_MAX:
            raise SlackRefusal("invalid_blocks", "blocks are too long in total")


def _check_view(view: Any) -> dict[str, Any]:
    if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
        raise SlackRefusal("invalid_arguments", "view.type must be modal or home")
    if view["type"] == "modal" and not view.get("title"):
        raise SlackRefusal("invalid_arguments", "a modal needs a title")
    _check_blocks(view.get("blocks") or [], VIEW_BLOCKS_MAX, "invalid_arguments")
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError) as problem:
        raise SlackRefusal("invalid_arguments", str(problem)) from None
    return view
