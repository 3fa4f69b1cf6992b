"""Refusals as replies: the one place a `Refusal` becomes what the person sees.

`render` is a refusal as a message; `form_errors` and `refuse_form` are a refusal on a form;
`answer` runs a listener's work and renders any refusal it raises. A refusal a listener lets
through is rendered by the guard (`bot.slack.guard`) and told to the person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack
from slack_sdk.models.views import View

from bot.services.channel_posts import NotPosted
from bot.services.directory import UnknownOrganisation
from bot.services.gate import FieldsLookPersonal, LooksPersonal
from bot.services.hotdesk.types import HotdeskProblem, OfferInvalid
from bot.services.opportunities.types import Caution, OpportunityInvalid, OpportunityProblem
from bot.services.refusal import Refusal
from bot.services.sessions import SessionInvalid, SessionProblem
from bot.services.updates import Held, NotInOrganisation, UpdateProblem
from bot.slack.blocks import hotdesk, opportunities, sessions, updates
from bot.slack.blocks.common import Message, clip, not_posted, problem, refusal
from bot.slack.blocks.directory import (
    ANYWAY,
    JOIN_ACTION,
    SHOW_ACTION,
    looks_personal_errors,
    unknown_organisation,
)

FORM_ERROR_MAX = 2000  # a field's error: the sentence, and any alternatives offered with it
T = TypeVar("T")  # what the work returns when nothing is refused


def render(refused: Refusal, today: date) -> Message:
    """The reply to a refused request, by its kind (the most specific first); any other
    Refusal is its sentence, with its example when it has one."""
    if isinstance(refused, NotInOrganisation):
        return updates.not_in_organisation(refused, refused.text)
    if isinstance(refused, Held):
        return updates.held(refused)
    if isinstance(refused, Caution):
        return opportunities.caution(refused, today)
    if isinstance(refused, UnknownOrganisation):
        return unknown_organisation(refused, JOIN_ACTION if refused.to_join else SHOW_ACTION)
    if isinstance(refused, LooksPersonal):
        refused = FieldsLookPersonal([refused])
    if isinstance(refused, FieldsLookPersonal):
        return sessions.looks_personal(refused)
    if isinstance(refused, HotdeskProblem):
        return hotdesk.refused(refused, today)
    if isinstance(refused, OpportunityProblem):
        return opportunities.refused(refused)
    if isinstance(refused, SessionProblem):
        return sessions.refused(refused)
    if isinstance(refused, UpdateProblem):
        return updates.refused(refused)
    if refused.example:
        return refusal(refused.message, refused.example, "/partners")
    return problem(refused.message)


def form_errors(refused: Refusal, field: str = "", box_shown: bool = False) -> dict[str, str]:
    """A form's errors, by block id: the refusal's own by field where it has them, else its
    sentence by the field it names, else by `field` (the form's choice). `box_shown`: the form
    already offers to save text the privacy guard held back anyway."""
    if isinstance(refused, FieldsLookPersonal):
        return looks_personal_errors(refused, box_shown and refused.may_share_anyway)
    if isinstance(refused, OfferInvalid | OpportunityInvalid | SessionInvalid):
        return dict(refused.errors)
    message = refused.message
    if isinstance(refused, HotdeskProblem) and refused.alternatives:
        message += " Free nearby: " + ", ".join(
            f"{slot.host.code} {slot.day:%a %-d %b} {slot.part.label}"
            for slot in refused.alternatives
        )
    return {refused.field or field: clip(message, FORM_ERROR_MAX)}


def refuse_form(
    ack: Ack,
    view: dict,
    refused: Refusal,
    field: str = "",
    again: Callable[[Any], View] | None = None,
) -> None:
    """Answer a form the service refused; nothing was saved. A Caution, or typed text the
    privacy guard held back where the partnership allows sharing it anyway and the form has
    not offered that yet, brings the form again as typed (`again(refused)`: what to check, and
    the box to tick); otherwise each field concerned gets its error (see `form_errors`)."""
    offered = any(block.get("block_id") == ANYWAY for block in view.get("blocks") or [])
    shown_again = isinstance(refused, Caution) or (
        isinstance(refused, FieldsLookPersonal) and refused.may_share_anyway and not offered
    )
    if again is not None and shown_again:
        ack(response_action="update", view=again(refused))
        return
    ack(response_action="errors", errors=form_errors(refused, field, offered))


def answer(work: Callable[[], T], today: date) -> T | Message:
    """Run one service call and render; a refusal becomes its reply."""
    try:
        return work()
    except Refusal as refused:
        return render(refused, today)


def answer_post(work: Callable[[], T], today: date, what: str, repost_action: str) -> T | Message:
    """`answer` for work that posts a saved row (`what`: an update, an opportunity) to its
    channel. Saved but not (surely) posted is not a refusal: it is said, with a button to
    post it again."""
    try:
        return answer(work, today)
    except NotPosted as failure:
        return not_posted(failure, what, repost_action)
