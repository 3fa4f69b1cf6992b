"""`/partners report`: the coordinators' report, its files put in their DM through the outbox."""

from __future__ import annotations

from bot.slack.blocks import report as blocks
from bot.slack.blocks.common import Answer, not_in_dms
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
        failed = not_in_dms(sent, "the report")
        if failed is not None:
            return failed
    return blocks.report_sent(made)


SUBCOMMANDS: Subcommands = {"report": report}
