"""The Home tab: where a member starts (a fuller view comes with the Home tab issue)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.services.directory import MemberView
from bot.slack.blocks.common import context, escape, section
from bot.slack.blocks.help import help_message


def home_view(member: MemberView) -> View:
    if member.organisation:
        status = f"You're with *{escape(member.organisation.name)}*."
    else:
        status = (
            "You haven't joined an organisation yet. See who's here with `/partners orgs`, "
            "then `/partners join <organisation>`."
        )
    blocks: list[Block] = [HeaderBlock(text="Welcome to Partnerbot"), section(status)]
    if member.is_coordinator:
        blocks.append(context("You're a coordinator: you can change the directory."))
    blocks.append(DividerBlock())
    blocks += list(help_message().blocks)[1:]
    return View(type="home", blocks=blocks)
