"""Stories from hot-desk visits: the question's form, its answer (kept, or shared as an
update), and `/partners stories on|off`."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.refusal import Refusal
from bot.slack.blocks import stories as blocks
from bot.slack.blocks import updates as update_blocks
from bot.slack.blocks.common import Answer, Message, problem
from bot.slack.forms import saving_anyway
from bot.slack.guard import guarded
from bot.slack.parsing import button_id, form_metadata, input_value
from bot.slack.partners_command import Invocation, Subcommands
from bot.slack.refusals import answer_post, refuse_form
from bot.slack.update_posts import update_post, update_posted
from bot.slack.wiring import Services


def switch(call: Invocation) -> Answer:
    word = call.args.strip().lower()
    if word not in ("on", "off"):
        return problem(
            "Say `/partners stories off` to stop being asked how your hot-desk visits went "
            "(`on` to start again)."
        )
    call.services.directory.set_visit_stories(call.user_id, word == "on", call.load_profile)
    return blocks.preference(word == "on")


SUBCOMMANDS: Subcommands = {"stories": switch}


def answer_clicked(
    ack: Ack, body: dict, action: dict, client: WebClient, services: Services
) -> None:
    ack()
    user_id = body["user"]["id"]
    asked = services.stories.question(user_id, button_id(action.get("value")))
    metadata = {"response_url": body.get("response_url")}
    client.views_open(trigger_id=body["trigger_id"], view=blocks.form(asked, metadata))


def form_submitted(ack: Ack, body: dict, view: dict, services: Services) -> None:
    """Checked (and through the privacy guard) before it is accepted, so nothing typed is lost;
    then kept, and shared as an update if its author chose."""
    user_id = body["user"]["id"]
    text, anyway = input_value(view, "answer"), saving_anyway(view)
    share = blocks.SHARE in (input_value(view, blocks.SHARE) or [])
    try:
        metadata = form_metadata(view)
        story_id = button_id(metadata.get("story"))
        services.stories.check(text, anyway)
    except Refusal as refused:
        refuse_form(ack, view, refused, "answer")
        return
    ack()

    def save() -> Message:
        render = update_post(services)
        told = services.stories.tell(user_id, story_id, text, share, render, anyway)
        return update_posted(told.published, services) if told.published else blocks.kept()

    message = answer_post(save, services.today(), "update", update_blocks.REPOST_ACTION)
    services.sender.answer_form(user_id, metadata, message)


def register(app: App) -> None:
    app.action(blocks.ANSWER_ACTION)(guarded(answer_clicked))
    app.view(blocks.FORM_CALLBACK)(guarded(form_submitted))
