"""Stories from hot-desk visits as people see them: the question, its form, the thanks."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
)
from slack_sdk.models.views import View

from bot.services.hotdesk.stories import ANSWER_MAX, Question
from bot.slack.blocks.common import Message, context, escape, notice, section

ANSWER_ACTION = "story_answer"
FORM_CALLBACK = "story_form"
SHARE = "share"
KEPT = (
    "Your answer is kept for the partnership's coordinators only, unless you choose to share "
    "it as an update. Not asked again about this visit."
)


def _asked(asked: Question) -> str:
    booking = asked.booking
    host = escape(booking.host.name)
    if asked.role == "visitor":
        return f"How was your visit to {host}?"
    visitor = escape(booking.visitor_organisation or "a partner agency")
    return f"How was the visit from {visitor} to {host}?"


def question(asked: Question) -> Message:
    """The one DM the working day after a visit."""
    text = f"{_asked(asked)} Anything you learned, or would do differently?"
    button = ButtonElement(text="Tell us", action_id=ANSWER_ACTION, value=str(asked.story_id))
    return Message(
        text=text,
        blocks=[
            section(f":speech_balloon: {text}"),
            ActionsBlock(elements=[button]),
            context(f"{KEPT} `/partners stories off` stops these questions."),
        ],
    )


def form(asked: Question, metadata: dict[str, object]) -> View:
    share = Option(value=SHARE, text="Share it as an update (with my name and both agencies)")
    return View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title="Your visit",
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps({**metadata, "story": asked.story_id}),
        blocks=[
            InputBlock(
                block_id="answer",
                label="How was it?",
                hint="Anything you learned, or would do differently? Never a client's details.",
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=ANSWER_MAX
                ),
            ),
            InputBlock(
                block_id=SHARE,
                label="Sharing",
                optional=True,
                element=CheckboxesElement(action_id="value", options=[share]),
            ),
        ],
    )


def kept() -> Message:
    return notice(":pray: Thank you — kept for the partnership's coordinators.")


def preference(wanted: bool) -> Message:
    if wanted:
        return notice("You'll be asked how each hot-desk visit went, the working day after it.")
    return notice(
        "You won't be asked about your hot-desk visits. `/partners stories on` to start again."
    )
