"""`/partners report`: the coordinators' report, its files put in their DM through the outbox."""

from __future__ import annotations

from bot.services.outbox import UNSURE
from bot.slack.blocks import report as blocks
from bot.slack.blocks.common import Answer, problem
from bot.slack.partners_command import Invocation, Subcommands


def report(call: Invocation) -> Answer:
    """The chart sheet first, carrying the summary, then the figures."""
    services = call.services
    made = services.reports.build(call.user_id, call.args, services.today())
    comments = (blocks.report_comment(made), "")
    for file, comment in zip((made.chart, made.figures), comments, strict=True):
        sent = services.sender.upload(
            call.user_id,
            {
                "content": file.content,
                "filename": file.filename,
                "title": file.title,
                "initial_comment": comment,
            },
        )
        if sent.status == UNSURE:
            return problem(
                "I couldn't put the report in your DMs for certain: Slack didn't answer in time. "
                "If it isn't there in a minute, please try again."
            )
        if not sent.ok:
            return problem("I couldn't put the report in your DMs just now. Please try again.")
    return blocks.report_sent(made)


SUBCOMMANDS: Subcommands = {"report": report}
