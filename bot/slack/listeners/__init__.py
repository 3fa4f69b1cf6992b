"""Listeners, one module per feature, each with `register(app)` (as in Bolt's starter template)."""

from slack_bolt import App

from bot.slack.listeners import (
    directory,
    home,
    hotdesk,
    opportunities,
    sessions,
    updates,
)


def register(app: App) -> None:
    for module in (directory, updates, hotdesk, opportunities, sessions, home):
        module.register(app)
