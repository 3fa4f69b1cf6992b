"""The Home tab and other Events API listeners (acked by Bolt; repeats dropped by the app).

The tab's own buttons (join, digest by DM, and the forms for the common actions) live here;
its other buttons are the features' own, which refresh the tab when clicked there.
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.directory import Directory
from bot.slack.blocks import home as blocks
from bot.slack.blocks import hotdesk as hotdesk_blocks
from bot.slack.blocks import updates as update_blocks
from bot.slack.blocks.common import Message, section
from bot.slack.forms import sharing_form
from bot.slack.guard import guarded
from bot.slack.home_tab import publish_home
from bot.slack.parsing import input_value
from bot.slack.profiles import profile_loader
from bot.slack.refusals import answer
from bot.slack.wiring import Services


def home_opened(event: dict, client: WebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(client, services, event["user"])


def notice_of(markdown: str) -> Message:
    return Message(text=markdown, blocks=[section(markdown)])


def _user(body: dict) -> str:
    return body["user"]["id"]


def join_clicked(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    ack()
    form = blocks.join_form(services.directory.organisations())
    client.views_open(trigger_id=body["trigger_id"], view=form)


def join_submitted(ack: Ack, body: dict, view: dict, client: WebClient, services: Services) -> None:
    code = input_value(view, "organisation")
    if not code:
        ack(response_action="errors", errors={"organisation": "Choose your organisation."})
        return
    ack()
    user_id = _user(body)

    def join() -> Message:
        joined = services.directory.join(user_id, code, profile_loader(client))
        return notice_of(f":white_check_mark: You've joined *{joined.organisation.name}*.")

    notice = answer(join, services.today())
    publish_home(client, services, user_id, notice)


# The tab's switches: (the directory's setter, what the setting is, on, off).
SWITCHES = {
    blocks.DIGEST_ACTION: (
        Directory.set_digest_dm, "Weekly digest by DM", "on: it will come by DM each week", "off",
    ),
    blocks.DIGEST_NAME_ACTION: (
        Directory.set_name_in_digest, "Your name in the digest",
        "on: it names you when you visit", "off: you are counted, not named",
    ),
    blocks.STORIES_ACTION: (
        Directory.set_visit_stories, "Asking how your visits went",
        "on: the working day after each visit", "off",
    ),
}  # fmt: skip


def digest_switched(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    """A setting turned on or off from the tab, which is redrawn saying so."""
    ack()
    setter, what, on, off = SWITCHES[action["action_id"]]
    wanted = action.get("value") == "on"
    setter(services.directory, _user(body), wanted, profile_loader(client))
    notice = notice_of(f":white_check_mark: {what} is {on if wanted else off}.")
    publish_home(client, services, _user(body), notice)


def update_clicked(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    ack()
    form = update_blocks.form(services.updates.topics(), {})
    client.views_open(trigger_id=body["trigger_id"], view=form)


def book_clicked(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    ack()
    day = services.hotdesk.working_days().next_after(services.today())
    form = hotdesk_blocks.booking_form(services.hotdesk.hosts(), None, day, {})
    client.views_open(trigger_id=body["trigger_id"], view=form)


def share_clicked(ack: Ack, body: dict, client: WebClient, services: Services) -> None:
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=sharing_form(services, _user(body), {}))


HANDLED = {"app_home_opened": home_opened}  # manifest.yml subscribes to exactly these


def register(app: App) -> None:
    for event_type, listener in HANDLED.items():
        app.event(event_type)(guarded(listener))
    app.action(blocks.JOIN_ACTION)(guarded(join_clicked))
    app.view(blocks.JOIN_FORM)(guarded(join_submitted))
    for action_id in SWITCHES:
        app.action(action_id)(guarded(digest_switched))
    app.action(blocks.UPDATE_ACTION)(guarded(update_clicked))
    app.action(blocks.BOOK_ACTION)(guarded(book_clicked))
    app.action(blocks.SHARE_ACTION)(guarded(share_clicked))
