"""The floor for bench/ack.py: a Bolt app whose every command and click only acknowledges,
served by gunicorn exactly as the real bot is. Not part of Partnerbot."""

from __future__ import annotations

import os
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

app = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
)


@app.command(re.compile(".*"))
def any_command(ack: Ack) -> None:
    ack()


@app.action(re.compile(".*"))
def any_click(ack: Ack) -> None:
    ack()


def create_wsgi_app() -> object:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return SlackRequestHandler(app)
