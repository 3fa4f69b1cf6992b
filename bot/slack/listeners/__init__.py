"""Listeners, one module per feature, each with `register(app)` (as in Bolt's starter template).

No listener imports another: what two share lives in bot.slack, and `/partners`, whose
subcommands come from two features, is put together here."""

from slack_bolt import App

from bot.slack.guard import guarded
from bot.slack.listeners import (
    config,
    directory,
    home,
    hotdesk,
    jargon,
    opportunities,
    report,
    rights,
    sessions,
    stories,
    updates,
)
from bot.slack.partners_command import partners_command

# The Events API events handled, which manifest.yml subscribes to (a test keeps them equal).
EVENTS = {**home.HANDLED, **rights.HANDLED}
# `/partners` subcommands: the directory's, data protection's, the report's, stories', then the
# partnership file's.
PARTNERS = {
    **directory.SUBCOMMANDS,
    **rights.SUBCOMMANDS,
    **report.SUBCOMMANDS,
    **stories.SUBCOMMANDS,
    **config.SUBCOMMANDS,
}


def register(app: App) -> None:
    app.command("/partners")(guarded(partners_command(PARTNERS)))
    for module in (
        directory,
        updates,
        hotdesk,
        opportunities,
        sessions,
        home,
        rights,
        jargon,
        stories,
        config,
    ):
        module.register(app)
