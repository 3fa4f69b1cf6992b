"""Listeners, one module per feature, each with `register(app)` (as in Bolt's starter template)."""

from slack_bolt import App

from bot.slack.listeners import directory, home, hotdesk, placeholders, updates


def register(app: App) -> None:
    for module in (directory, updates, hotdesk, home, placeholders):
        module.register(app)
