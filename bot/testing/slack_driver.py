"""Send requests to the app exactly as Slack does: signed commands, clicks, forms, events."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from bot.testing.fake_slack import TEAM_ID, FakeSlack
from bot.testing.signing import signature_headers

API_APP_ID = "A0PARTNERBOT"


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer to one request."""

    status: int
    body: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class SlackDriver:
    def __init__(
        self, app_url: str, signing_secret: str, fake: FakeSlack, team_id: str = TEAM_ID
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.fake = fake
        self.team_id = team_id
        self._ids = itertools.count(1)

    def command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U0MEMBER",
        channel_id: str = "C0GENERAL",
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> Reply:
        form = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "team_domain": "fake-partnership",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.new_response_url(),
            "trigger_id": self.fake.new_trigger_id(),
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
            "trigger_id": self.fake.new_trigger_id(),
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        else:
            ts = message_ts or f"{time.time():.6f}"
            payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel_id}
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = {"ts": ts, "type": "message"}
            payload["response_url"] = self.fake.new_response_url()
        return self._interactive(payload)

    def view_submission(
        self, user_id: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]
    ) -> Reply:
        payload = {
            "type": "view_submission",
            **self._who(user_id),
            "trigger_id": self.fake.new_trigger_id(),
            "view": {**view, "state": {"values": values}},
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
        body = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "api_app_id": API_APP_ID,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}{int(time.time())}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": "UPARTNERBOT", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post(json.dumps(body), "application/json", extra_headers=headers)

    def _who(self, user_id: str) -> dict[str, Any]:
        return {
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "team": {"id": self.team_id, "domain": "fake-partnership"},
            "api_app_id": API_APP_ID,
            "token": "verification-token-unused",
            "is_enterprise_install": False,
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
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())
