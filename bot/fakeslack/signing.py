"""Sign requests exactly as Slack does (v0, HMAC-SHA256 over `v0:timestamp:body`)."""

from __future__ import annotations

import hashlib
import hmac
import time


def signature_headers(
    signing_secret: str, body: bytes | str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack adds so the app can tell the request came from Slack, unchanged and fresh.

    `timestamp` defaults to now; an old one makes a request the app must refuse as a replay.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    text = body.decode() if isinstance(body, bytes) else body
    digest = hmac.new(
        signing_secret.encode(), f"v0:{timestamp}:{text}".encode(), hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}
