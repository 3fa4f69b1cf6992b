"""The Home tab and other Events API listeners (acked by Bolt; repeats dropped by the app)."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.blocks.home import home_view
from bot.slack.profiles import profile_loader
from bot.slack.wiring import Services


def home_opened(event: dict, client: WebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    user_id = event["user"]
    member = services.directory.whoami(user_id, profile_loader(client))
    client.views_publish(user_id=user_id, view=home_view(member))


HANDLED = {"app_home_opened": home_opened}  # manifest.yml subscribes to exactly these


def register(app: App) -> None:
    for event_type, listener in HANDLED.items():
        app.event(event_type)(listener)
