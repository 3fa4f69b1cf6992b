"""A fake Slack on a local port, and a driver that plays Slack's side of the app's request URL.

Tests, benchmarks and the playground (at run time) use them; nothing here talks to real Slack.
"""

from bot.fakeslack.checks import REQUIRED
from bot.fakeslack.fake import FakeSlack
from bot.fakeslack.state import (
    APP_ID,
    BOT_USER_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_ID,
    UploadedFile,
)

__all__ = [
    "APP_ID", "BOT_USER_ID", "CLIENT_ID", "CLIENT_SECRET", "REQUIRED", "TEAM_ID", "FakeSlack",
    "UploadedFile",
]  # fmt: skip
