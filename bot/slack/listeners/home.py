"""The Home tab and other Events API listeners (acked by Bolt; repeats dropped by the app).

The tab's own buttons (join, digest by DM, and the forms for the common actions) live here;
its other buttons are the features' own, which refresh the tab when clicked there.
"""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

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


def digest_clicked(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    ack()
    wanted = action.get("value") == "on"
    services.directory.set_digest_dm(_user(body), wanted, profile_loader(client))
    state = "on: it will come by DM each week" if wanted else "off"
    notice = notice_of(f":white_check_mark: Weekly digest by DM is {state}.")
    publish_home(client, services, _user(body), notice)


def digest_name_clicked(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    ack()
    wanted = action.get("value") == "on"
    services.directory.set_name_in_digest(_user(body), wanted, profile_loader(client))
    state = "on: it names you when you visit" if wanted else "off: you are counted, not named"
    notice = notice_of(f":white_check_mark: Your name in the digest is {state}.")
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
    app.action(blocks.DIGEST_ACTION)(guarded(digest_clicked))
    app.action(blocks.DIGEST_NAME_ACTION)(guarded(digest_name_clicked))
    app.action(blocks.UPDATE_ACTION)(guarded(update_clicked))
    app.action(blocks.BOOK_ACTION)(guarded(book_clicked))
    app.action(blocks.SHARE_ACTION)(guarded(share_clicked))
