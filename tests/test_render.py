"""The bot's own Block Kit rendering gives exactly slack_sdk's `to_dict`, and refuses what it
refuses: every kind of block, element and composition object the bot builds."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    ImageElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack.blocks import glossary, help, hotdesk, opportunities, sessions, updates
from bot.slack.blocks.render import render

OPTIONS = [Option(text=f"Choice {n}", value=str(n)) for n in range(3)]
CONFIRM = ConfirmObject(title="Sure?", text="It cannot be undone.", confirm="Yes", deny="No")

BLOCKS: list[Any] = [
    HeaderBlock(text="A header"),
    DividerBlock(),
    SectionBlock(text=MarkdownTextObject(text="*bold* & <https://example.org|a link>")),
    SectionBlock(
        text="With an accessory",
        fields=[PlainTextObject(text="one"), MarkdownTextObject(text="_two_")],
        accessory=OverflowMenuElement(action_id="more", options=OPTIONS, confirm=CONFIRM),
    ),
    SectionBlock(text="Pick", accessory=StaticSelectElement(action_id="s", options=OPTIONS)),
    SectionBlock(
        text="Grouped",
        accessory=StaticSelectElement(
            action_id="g",
            option_groups=[OptionGroup(label="Group", options=OPTIONS)],
            initial_option=OPTIONS[1],
        ),
    ),
    ActionsBlock(
        block_id="actions",
        elements=[
            ButtonElement(text="Go", action_id="go", value="1", style="primary"),
            ButtonElement(text="Stop", action_id="stop", value="2", confirm=CONFIRM),
            ButtonElement(text="Read", action_id="url", url="https://example.org"),
            DatePickerElement(action_id="day", initial_date="2026-12-01"),
        ],
    ),
    ContextBlock(
        elements=[
            MarkdownTextObject(text="context"),
            ImageElement(image_url="https://example.org/i.png", alt_text="an image"),
        ]
    ),
    InputBlock(
        block_id="text",
        label="Say",
        element=PlainTextInputElement(action_id="v", multiline=True, max_length=300),
        optional=True,
        hint="A hint",
    ),
    InputBlock(label="Who", element=UserSelectElement(action_id="who")),
    InputBlock(label="Tick", element=CheckboxesElement(action_id="c", options=OPTIONS)),
    InputBlock(label="One", element=RadioButtonsElement(action_id="r", options=OPTIONS)),
]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: type(block).__name__)
def test_each_kind_of_block_renders_as_slack_sdk_renders_it(block: Any) -> None:
    assert render(block) == block.to_dict()


def test_the_help_messages_and_a_form_render_as_slack_sdk_renders_them() -> None:
    for module in (help, glossary, hotdesk, opportunities, sessions, updates):
        message = module.help_message()
        assert message.rendered()["blocks"] == [block.to_dict() for block in message.blocks]
    form = View(type="modal", title="A form", submit="Save", close="Cancel", blocks=BLOCKS[-4:])
    assert render(form) == form.to_dict()
    assert render({"already": "a dict"}) == {"already": "a dict"}


def test_what_slack_sdk_refuses_is_refused() -> None:
    too_long = ButtonElement(text="x" * 80, action_id="long")
    with pytest.raises(SlackObjectFormationError):
        too_long.to_dict()
    with pytest.raises(SlackObjectFormationError):
        render(ActionsBlock(elements=[too_long]))
