"""The rules: plain Python, no Slack. Importing any of it turns on the gate's column check, so
typed text reaching others is stored only once cleared (see bot.services.gate)."""

from bot.services import gate

gate.enforce_columns()
