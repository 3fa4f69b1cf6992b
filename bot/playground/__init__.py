"""Try Partnerbot without Slack: the real bot, the fake Slack, and a page that looks like Slack."""

from argparse import ArgumentTypeError

WORKSPACES_MAX = 4  # workspaces the playground plays side by side, each still readable on a screen


def workspace_count(text: str) -> int:
    """`--workspaces N`, read: a clear refusal of anything but a number from 1 to the most."""
    if text.strip().isdigit() and 1 <= int(text) <= WORKSPACES_MAX:
        return int(text)
    raise ArgumentTypeError(f"give a number from 1 to {WORKSPACES_MAX}, not {text!r}")
