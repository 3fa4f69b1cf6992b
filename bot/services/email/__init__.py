"""Email for partners not on Slack: signed links, messages with calendar invitations, and
their deliveries (claimed, paced, sent once). Nothing here imports Slack; what a failure tells
the coordinators is drawn by the caller, as every notice is (bot.services.outbox)."""
