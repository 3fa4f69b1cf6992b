"""Send requests to the app exactly as Slack does: signed commands, clicks, forms, events.

Every request is signed with the app's signing secret, and the response URLs and trigger ids in
it are issued by the fake Slack, so what the app does with them is checked like on Slack.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from bot.fakeslack.fake import FakeSlack
from bot.fakeslack.signing import signature_headers
from bot.fakeslack.state import APP_ID, BOT_USER_ID, TEAM_ID

TIMEOUT = 10.0
# Slack no longer sends a meaningful verification token; signatures replaced it.
VERIFICATION_TOKEN = "verification-token-unused"
# The app runs on 127.0.0.1: never send its requests through an HTTP(S)_PROXY from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer to one request."""

    status: int
    body: str
    json: Any | None  # the body parsed, when it is JSON


class SlackDriver:
    """Plays Slack's side of the app's request URL."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: FakeSlack,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
    ) -> None:
        """As a person of workspace `team_id`, in Enterprise Grid organisation `enterprise_id`
        when the app is installed across it (org-wide)."""
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id
        self.enterprise_id = enterprise_id

    def command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U0MEMBER",
        channel_id: str = "C0GENERAL",
        timestamp: int | None = None,
        signing_secret: str | None = None,
        escape: bool = True,
    ) -> Reply:
        """A slash command; `text` is what the person typed, sent escaped as Slack sends it
        (`should_escape: true`, see FakeSlack.escape_command_text), or as it is when `escape`
        is False (to send exactly what Slack sent). `timestamp`/`signing_secret` let a test
        send a stale or forged one."""
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": "fake-partnership",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": self.fake.escape_command_text(text) if escape else text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "true" if self.enterprise_id else "false",
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "response_url": self.fake.new_response_url(user_id, channel_id),
            "trigger_id": self.fake.new_trigger_id(user_id),
        }
        return self._post(
            urllib.parse.urlencode(form),
            "application/x-www-form-urlencoded",
            timestamp=timestamp,
            signing_secret=signing_secret,
        )

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        *,
        channel_id: str | None = "C0GENERAL",
        message_ts: str | None = None,
        view: dict[str, Any] | None = None,
        extra_action: dict[str, Any] | None = None,
    ) -> Reply:
        """A click in a view when `view` is given, else in a message in `channel_id`.

        `extra_action` overrides or adds action fields, e.g. the type and selected_option of a
        select. A click in a message the fake holds carries that message, as on Slack.
        """
        action = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "action_ts": f"{time.time():.6f}",
            **({"value": value} if value is not None else {}),
            **(extra_action or {}),
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            **self._who(user_id),
            "trigger_id": self.fake.new_trigger_id(user_id),
            "actions": [action],
        }
        if view is not None:
            view = self._as_stored(view)
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        elif channel_id is not None:
            ts = message_ts or f"{time.time():.6f}"
            # A message the fake does not hold came through a response URL: likely ephemeral.
            held = [m for m in self.fake.messages(channel_id) if m["ts"] == ts]
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": not held,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = held[0] if held else {"type": "message", "ts": ts}
            payload["response_url"] = self.fake.new_response_url(user_id, channel_id, ts)
            payload["state"] = {"values": {}}
        else:
            raise ValueError("a block action comes from a message (channel_id) or a view")
        return self._interactive(payload)

    def view_submission(
        self, user_id: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]
    ) -> Reply:
        """Submit `view` (as the app sent it, or as the fake answered) with these input values."""
        payload = {
            "type": "view_submission",
            **self._who(user_id),
            "trigger_id": self.fake.new_trigger_id(user_id),
            "view": {**self._as_stored(view), "state": {"values": values}},
            "response_urls": [],
        }
        return self._interactive(payload)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Reply:
        """An Events API callback; with `retry_num`, one of Slack's redeliveries of it."""
        body = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [self._authorization()],
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post(json.dumps(body), "application/json", extra_headers=headers)

    def _as_stored(self, view: dict[str, Any]) -> dict[str, Any]:
        """The view as Slack holds it (with id and hash): what the fake answered for these args."""
        if "id" in view:
            return view
        for call in reversed(self.fake.calls):
            if call.ok and call.method.startswith("views.") and call.args.get("view") == view:
                return call.response["view"]
        return view

    def _authorization(self) -> dict[str, Any]:
        """The installation an event is for: the workspace's, or the organisation's."""
        if self.enterprise_id:
            return {
                "enterprise_id": self.enterprise_id, "team_id": None, "user_id": BOT_USER_ID,
                "is_bot": True, "is_enterprise_install": True,
            }  # fmt: skip
        return {"team_id": self.team_id, "user_id": BOT_USER_ID, "is_bot": True}

    def _who(self, user_id: str) -> dict[str, Any]:
        org = {"enterprise": {"id": self.enterprise_id}} if self.enterprise_id else {}
        return {
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "team": {"id": self.team_id, "domain": "fake-partnership"},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "is_enterprise_install": bool(self.enterprise_id),
            **org,
        }

    def _interactive(self, payload: dict[str, Any]) -> Reply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self._post(body, "application/x-www-form-urlencoded")

    def _post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Reply:
        headers = {
            "Content-Type": content_type,
            **signature_headers(signing_secret or self.signing_secret, body, timestamp),
            **(extra_headers or {}),
        }
        request = urllib.request.Request(self.app_url, body.encode(), headers, method="POST")
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                return _reply(response.status, response.read())
        except urllib.error.HTTPError as error:  # 4xx and 5xx are answers too
            return _reply(error.code, error.read())


def _reply(status: int, raw: bytes) -> Reply:
    body = raw.decode()
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    return Reply(status, body, parsed)
