"""Listeners, one module per feature, each with `register(app)` (as in Bolt's starter template)."""

from slack_bolt import App

from bot.slack.listeners import (
    directory,
    home,
    hotdesk,
    opportunities,
    rights,
    sessions,
    updates,
)

# The Events API events handled, which manifest.yml subscribes to (a test keeps them equal).
EVENTS = {**home.HANDLED, **rights.HANDLED}


def register(app: App) -> None:
    for module in (directory, updates, hotdesk, opportunities, sessions, home, rights):
        module.register(app)
