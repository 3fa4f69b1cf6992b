"""The one shape of "no": a request refused, with a sentence for the person.

Every service exception that means "refused, tell the person" is a Refusal (each family adds
what its reply needs: alternatives, findings, a draft to edit). `bot.slack.refusals` is the one
place that turns a Refusal into a reply or a form's errors, and the listener guard tells the
person any Refusal a listener lets through. Exceptions that are not refusals (a failure, a row
saved but not posted) are not Refusals: tests/test_refusals.py keeps the list of them.
"""

from __future__ import annotations


class Refusal(Exception):
    """Refused: `message` is a sentence fit to show the person (`str()` too), `example` a
    command that works (if any), `field` the form field it concerns (if any)."""

    def __init__(self, message: str, example: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        self.field = field
