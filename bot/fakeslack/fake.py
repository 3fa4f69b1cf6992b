"""A local fake of Slack's Web API: records every call and refuses what Slack would refuse.

Tests, benchmarks and the playground point `SLACK_API_URL` at it. It binds 127.0.0.1 on an
ephemeral port (`server`), keeps what Slack keeps (`state`), answers the methods the bot calls
(`methods`) after refusing what Slack refuses (`checks`), and fails or stalls when told to
(`faults`). It takes files the way `files_upload_v2` sends them: an upload URL, the bytes posted
there, then files.completeUploadExternal. And it escapes slash-command text as Slack does for
`should_escape: true` (`escaping`), which the driver applies to what a test types.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from zoneinfo import ZoneInfo

from bot.fakeslack import escaping
from bot.fakeslack.checks import SlackRefusal, check_view
from bot.fakeslack.faults import Faults
from bot.fakeslack.methods import FILES_PATH, UPLOAD_PATH, WebApi, token_of
from bot.fakeslack.server import Server, read_args, send, serve_in_background
from bot.fakeslack.state import (
    CLIENT_ID,
    TEAM_ID,
    Call,
    OAuthCode,
    ResponseUrl,
    SharedFile,
    SlackState,
    UploadedFile,
    dm_channel,
)

IDLE = 30.0  # seconds a client's idle connection stays open


class FakeSlack:
    """Slack's Web API and response URLs on a local port, recording calls in arrival order."""

    def __init__(
        self,
        latency: float = 0.0,
        post_limits: tuple[float, int] | None = None,
        niceness: int = 0,
        idle: float = IDLE,
    ) -> None:
        """`post_limits` = (seconds between posts to one channel, posts a second workspace-wide)
        makes chat.postMessage answer 429 as Slack does when they are exceeded. `niceness`
        lowers the CPU priority of the threads answering calls (Linux nice): a benchmark's fake
        stands in for Slack's servers, whose work is not done on the app's machine. `idle`:
        seconds a client's connection stays open between calls, after which the fake closes
        it, as a server does."""
        self.latency = latency
        self.niceness = niceness
        self.idle = idle
        self._state = SlackState()
        self.calls: list[Call] = self._state.calls
        self._faults = Faults(post_limits)
        self._api = WebApi(self._state, lambda: self._origin)
        self._server: Server | None = None

    # Lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is None:
            self._server = Server(self._serve, self.idle)
            serve_in_background(self._server)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def connections(self) -> int:
        """Connections clients have opened to the fake, all told."""
        return self._server.connections if self._server is not None else 0

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

    def installed_long_ago(self, tokens: dict[str, str]) -> None:
        """Bot tokens (token → team id) as earlier installs issued them: each call with one is
        that workspace's, under its own limits (a bench's hundreds of workspaces, made
        without going through the flow each)."""
        with self._state.lock:
            self._state.bot_tokens.update(tokens)

    def add_user(
        self,
        user_id: str,
        real_name: str,
        display_name: str = "",
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
        email: str = "",
        team_id: str = TEAM_ID,
    ) -> None:
        """A person of workspace `team_id` (the fake's own unless said)."""
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        profile = {"real_name": real_name, "display_name": display_name}
        if email:  # Slack gives it only to apps with users:read.email
            profile["email"] = email
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": (display_name or real_name).lower().replace(" ", "."),
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
        }
        with self._state.lock:
            self._state.users[user_id] = user

    def add_channel(self, channel_id: str, name: str) -> None:
        """A channel whose `#name` typed in a command Slack sends as `<#C…|name>`."""
        with self._state.lock:
            self._state.channels[channel_id] = name.lstrip("#")

    def escape_command_text(self, text: str) -> str:
        """The `text` Slack sends for a command with `should_escape: true`, from what the
        person typed (see `escaping.escape_command_text`), knowing the people and channels
        added here."""
        with self._state.lock:
            users = [u for u in self._state.users.values() if not u["deleted"]]
            channels = dict(self._state.channels)
        return escaping.escape_command_text(text, users, channels)

    def new_response_url(
        self, user: str | None = None, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response URL; given the user and channel, replies to it are kept as ephemeral
        messages only that user sees there (and `replace_original` replaces `message_ts`)."""
        token = f"R{self._state.next_number():06d}"
        with self._state.lock:
            self._state.response_urls[token] = ResponseUrl(
                time.monotonic(), 0, user, dm_channel(channel) if channel else None, message_ts
            )
        return f"{self._origin}/response/{token}"

    def new_trigger_id(self, user: str | None = None) -> str:
        """A trigger id; given the user, the modal it opens is theirs (see `modal_of`)."""
        trigger = f"{self._state.next_number()}.{TEAM_ID}.trigger"
        with self._state.lock:
            self._state.triggers[trigger] = time.monotonic()
            if user:
                self._state.trigger_users[trigger] = user
        return trigger

    def mint_code(
        self,
        authorize_url: str,
        team_id: str,
        user_id: str,
        team_name: str = "Fake Partnership",
        enterprise_id: str | None = None,
    ) -> str:
        """What Slack does when `user_id` of `team_id` clicks "Allow" on the page of
        `authorize_url` (an Add to Slack link): the code for the redirect, with its state, as
        the URL Slack sends the browser back to (`?code=…&state=…`), the app's redirect URL
        being the one the link named (or, with none, the app's own: here left to the test)."""
        asked = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_url).query)
        if asked.get("client_id") != [CLIENT_ID]:
            raise ValueError(f"not an Add to Slack link of this app: {authorize_url}")
        redirect_uri = asked.get("redirect_uri", [None])[0]
        code = f"{team_id}.{self._state.next_number():06d}.code"
        with self._state.lock:
            self._state.oauth_codes[code] = OAuthCode(
                team_id, team_name, user_id, asked.get("scope", [""])[0], redirect_uri,
                time.monotonic(), enterprise_id=enterprise_id,
            )  # fmt: skip
        query = urllib.parse.urlencode({"code": code, "state": asked.get("state", [""])[0]})
        return f"{redirect_uri or ''}?{query}"

    def file_from(self, user_id: str, filename: str, content: bytes) -> dict[str, Any]:
        """A file `user_id` chose in a form's file input: Slack keeps it, private to them, and
        the form's submission carries it as this answers (files.info answers the same)."""
        file_id = f"F{self._state.next_number():08d}"
        file = SharedFile(file_id, user_id, filename, content, int(time.time()))
        with self._state.lock:
            self._state.shared[file_id] = file
        return self._api.shared_file(file)

    def fail_next(
        self, method: str, status: int, count: int = 1, retry_after: int = 1, after: int = 0
    ) -> None:
        """Answer `count` calls of `method` (or "response_url", "file_upload" or "file_download")
        with a 429 or a
        500, once `after` more calls have succeeded (to break a run part-way through)."""
        self._faults.fail_next(method, status, count, retry_after, after)

    def stall_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Do `count` calls of `method` but answer each only after `seconds`: the timeout after
        which the client cannot know that Slack acted (as real Slack sometimes does)."""
        self._faults.stall_next(method, seconds, count)

    def drop_next(self, method: str, count: int = 1) -> None:
        """Do `count` calls of `method` but end the connection instead of answering: the
        answer lost on the way, after which the client cannot know that Slack acted."""
        self._faults.drop_next(method, count)

    def reset(self) -> None:
        """Forget everything but the users, so one running fake can serve many tests."""
        self._faults.reset()
        self._state.reset()

    def calls_to(self, method: str) -> list[Call]:
        with self._state.lock:
            return [call for call in self.calls if call.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[Call]:
        """Wait for `count` calls of `method` matching `predicate`: the app answers Slack late.
        The wait ends as soon as they come; the timeout only bounds a failure, long enough for a
        machine busy with four test processes."""

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (not predicate or predicate(c))]

        lock = self._state.lock
        with lock:
            if lock.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            seen = ", ".join(
                f"{c.method}({c.status}{' ' + c.error if c.error else ''})" for c in self.calls
            )
        raise AssertionError(
            f"expected {count} × {method} within {timeout}s; got: {seen or 'nothing'}"
        )

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The channel's messages as they are now, after updates and deletes."""
        with self._state.lock:
            return copy.deepcopy(self._state.messages.get(dm_channel(channel), []))

    def uploaded_files(self, channel: str | None = None) -> list[UploadedFile]:
        """The completed uploads in order, or only those shared to `channel` (a user id: the DM)."""
        with self._state.lock:
            if channel is None:
                return list(self._state.uploaded)
            return [f for f in self._state.uploaded if f.channel == dm_channel(channel)]

    # Surfaces a person sees (for the playground) -------------------------------------------------

    def ephemeral_messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        with self._state.lock:
            return copy.deepcopy(self._state.ephemeral.get((user, dm_channel(channel)), []))

    def modal_of(self, user: str) -> dict[str, Any] | None:
        """The modal on top of the user's stack, as Slack holds it, or None."""
        with self._state.lock:
            stack = self._state.modals.get(user) or []
            return copy.deepcopy(self._state.views.get(stack[-1])) if stack else None

    def close_modal(self, user: str, everything: bool = False) -> None:
        with self._state.lock:
            stack = self._state.modals.get(user) or []
            del stack[0 if everything else -1 :]

    def replace_modal(self, user: str, view: dict[str, Any]) -> None:
        """A view_submission answered with response_action "update"."""
        current = self.modal_of(user)
        if current is not None:
            self._state.store_view(check_view(view, {"modal"}), current["id"])

    def home_of(self, user: str) -> dict[str, Any] | None:
        with self._state.lock:
            view_id = self._state.homes.get(user)
            return copy.deepcopy(self._state.views.get(view_id)) if view_id else None

    # Serving ------------------------------------------------------------------------------------

    def _serve_file(self, request: BaseHTTPRequestHandler, path: str, arrived: float) -> None:
        """A file's bytes (recorded as "file_download", with the token it carried)."""
        authorization = request.headers.get("Authorization") or ""
        args: dict[str, Any] = {"url": self._origin + path}
        failure = self._faults.failure("file_download", args)
        if failure is not None:
            status, answer, headers = failure
            body, content_type = json.dumps(answer).encode(), "application/json"
        else:
            status, answer, headers = 200, {"ok": True}, {}
            body, content_type = self._api.download(path, authorization)
            if content_type == "text/html":
                answer = {"ok": False, "error": "sign_in_page"}
        self._state.record(
            Call(
                "file_download", args, status, answer["ok"], answer.get("error"), answer,
                arrived, time.monotonic(), token_of({}, authorization),
            )
        )  # fmt: skip
        with contextlib.suppress(ConnectionError):
            send(request, status, body, headers, content_type)

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request as Slack would, and record it; a bug in the fake answers 500."""
        arrived = time.monotonic()
        if self.niceness:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.niceness)
        time.sleep(self.latency)
        url = urllib.parse.urlsplit(request.path)
        if url.path.startswith(FILES_PATH):
            self._serve_file(request, url.path, arrived)
            return
        is_response_url = url.path.startswith("/response/")
        is_upload = url.path.startswith(UPLOAD_PATH)
        token = url.path.rsplit("/", 1)[1]  # what names a response URL or an upload URL
        if is_response_url or is_upload:
            method = "response_url" if is_response_url else "file_upload"
        else:
            method = url.path.removeprefix("/api/")
        args: dict[str, Any] = {}
        headers: dict[str, str] = {}
        content = b""
        authorization = request.headers.get("Authorization") or ""
        carried = ""  # the Web API token the call carried
        try:
            if is_upload:  # raw bytes, whatever Content-Type urllib gives them
                content = request.rfile.read(int(request.headers.get("Content-Length") or 0))
                args = {"size": len(content)}
            else:
                args = read_args(request, url.query)
            if is_response_url or is_upload:
                args["url"] = self._origin + url.path
            workspace = self._state.bot_tokens.get(token_of(args, authorization), TEAM_ID)
            failure = self._faults.failure(method, args, workspace)
            if failure is not None:
                status, answer, headers = failure
            elif is_response_url:
                status, answer = (
                    200,
                    self._api.post_to_response_url(token, args),
                )
            elif is_upload:
                status, answer = (
                    200,
                    self._api.post_to_upload_url(token, content),
                )
            else:
                carried = token_of(args, authorization)
                status, answer = 200, self._api.call(method, args, authorization)
        except SlackRefusal as refusal:
            plain = is_response_url or is_upload
            status, answer = refusal.status or (400 if plain else 200), refusal.answer()
        except Exception as bug:
            status, answer = 500, SlackRefusal("fake_slack_bug", repr(bug)).answer()
        error = answer.get("error")
        self._state.record(
            Call(
                method,
                args,
                status,
                answer["ok"],
                error,
                answer,
                arrived,
                time.monotonic(),
                carried,
            )
        )
        # Response URLs answer in plain text ("ok" or the error), upload URLs too ("OK - <bytes>"),
        # the Web API in JSON.
        if is_response_url:
            body = answer.get("error") or "ok"
        elif is_upload:
            body = answer.get("error") or f"OK - {len(content)}"
        else:
            body = json.dumps(answer)
        time.sleep(self._faults.stall(method))
        if self._faults.drop(method):  # done, but the answer lost with the connection
            request.close_connection = True
            with contextlib.suppress(OSError):
                request.connection.shutdown(socket.SHUT_RDWR)
            return
        with contextlib.suppress(ConnectionError):  # a client that gave up is not our problem
            send(request, status, body, headers)
