"""Listeners, one module per feature, each with `register(app)` (as in Bolt's starter template)."""

from slack_bolt import App

from bot.slack.listeners import directory, home, placeholders, updates


def register(app: App) -> None:
    for module in (directory, updates, home, placeholders):
        module.register(app)
