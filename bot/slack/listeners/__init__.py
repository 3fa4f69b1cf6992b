"""Listeners, one module per kind, each with `register(app)` (as in Bolt's starter template)."""

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, views


def register(app: App) -> None:
    for module in (commands, actions, views, events):
        module.register(app)
