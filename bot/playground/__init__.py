"""Try Partnerbot without Slack: the real bot, the fake Slack, and a page that looks like Slack."""
