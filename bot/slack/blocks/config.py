"""`/partners config`: the partnership file sent to a coordinator, the form that loads one back,
and what loading it changed."""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextObject
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.services.partnership_file.apply import LoadReport
from bot.slack.blocks.common import Message, context, escape, notice, section

LOAD_FORM = "partnership_file_load"
FILE_BLOCK = "file"
FILE_COMMENT = (
    "The partnership's settings as Partnerbot holds them now: organisations, coordinators, "
    "channels, topics, the glossary's first entries, people reached by email, retention, the "
    "schedule and the privacy policy. To change them, edit this file and load it back with "
    "`/partners config load`: it is checked first, and a mistake is named by its line, "
    "changing nothing."
)


def file_sent() -> Message:
    return notice(
        ":inbox_tray: Sent to your DMs: the partnership file, as the settings are now.",
        "Edit it, then load it back with `/partners config load`.",
    )


def connect_link(url: str) -> Message:
    """The link a coordinator sends a partner organisation's Slack admin."""
    return notice(
        ":link: To connect a partner organisation's own Slack workspace (one sharing channels "
        "with yours through Slack Connect), send this link to someone there who may add apps: "
        f"{url}\nAdding Partnerbot from it lets their people use its commands as members of "
        "this partnership.",
        "The link works for 7 days, for one workspace; ask again for another.",
    )


def load_form() -> View:
    """One file input: the edited partnership file (.toml)."""
    return View(
        type="modal",
        callback_id=LOAD_FORM,
        title=PlainTextObject(text="Partnership file"),
        submit=PlainTextObject(text="Load"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            section(
                "Choose the partnership file you edited (`/partners config` sends the current "
                "one). It is checked before anything changes: a mistake is shown here with its "
                "line, and nothing is loaded until the whole file is right."
            ),
            InputBlock(
                block_id=FILE_BLOCK,
                label="The partnership file (.toml)",
                element=FileInputElement(action_id="value", filetypes=["toml"], max_files=1),
            ),
        ],
    )


def file_loaded(name: str, report: LoadReport) -> Message:
    """What loading the file changed, a line for each kind of thing."""
    if report.changed:
        headline = (
            f":white_check_mark: Loaded {escape(name)}: the partnership's settings are changed."
        )
    else:
        headline = f"Loaded {escape(name)}: it matched the settings already, so nothing changed."
    lines = "\n".join(f"• {escape(line)}" for line in report.lines())
    note = (
        "Loading adds and updates; what was added in Slack (organisations, topics, "
        "coordinators) stays. The audit trail (`/partners audit`) records who loaded it."
    )
    return Message(text=headline, blocks=[section(f"{headline}\n{lines}"), context(note)])
