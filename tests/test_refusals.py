"""One refusal type, rendered in one place: every service "no" is a Refusal, every Refusal has a
reply, and a refusal a listener lets through reaches the person (not "something went wrong")."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from datetime import date

import pytest

import bot.services
from bot.services.dates import DateError
from bot.services.directory import NotCoordinator, OrganisationRef, UnknownOrganisation
from bot.services.gate import BadLink, FieldsLookPersonal, LooksPersonal
from bot.services.hotdesk.types import OfferInvalid
from bot.services.opportunities.types import Caution, OpportunityInput, OpportunityInvalid
from bot.services.privacy import Finding, Kind
from bot.services.refusal import Refusal
from bot.services.sessions import SessionInvalid
from bot.services.updates import Held, NotInOrganisation, NoUpdatesChannel, Updates
from bot.slack.blocks.common import Message
from bot.slack.blocks.directory import JOIN_ACTION
from bot.slack.refusals import form_errors, render
from tests.conftest import MEMBER, Bot
from tests.helpers import buttons, shown

TODAY = date(2026, 11, 24)
FINDING = Finding(Kind.PHONE, "07••• •••123", 0, 13)

# Exceptions in bot/services that are not refusals. Each needs a reason; anything else a
# service raises for the person to read is a Refusal, so the one renderer has a reply for it.
NOT_REFUSALS = {
    # A channel post's own outcomes, handled by the posting code (being replaced).
    "bot.services.channel_posts.NotPosted",  # saved, not posted: said with "Post it again"
    "bot.services.channel_posts.AlreadyPosted",  # internal: another attempt is posting it
    "bot.services.channel_posts.SendFailed",  # internal: Slack's failure, becomes NotPosted
    # Read at start-up and by the CLI, not in answer to a person in Slack.
    "bot.services.partnership_file.read.PartnershipFileError",
    # Internal control flow: a booking made already, caught within the hotdesk service.
    "bot.services.hotdesk.store.AlreadyBooked",
}

# How to make the refusals whose constructors need more than a sentence; any other is made
# with a sentence and an example.
SAMPLES: dict[type[Refusal], Callable[[], Refusal]] = {
    NotInOrganisation: lambda: NotInOrganisation("Our new legal clinic opens on Tuesdays"),
    NoUpdatesChannel: NoUpdatesChannel,
    Held: lambda: Held(7, [FINDING], may_post_anyway=True),
    Caution: lambda: Caution(OpportunityInput("event", "Open day"), [], [FINDING], True),
    OpportunityInvalid: lambda: OpportunityInvalid({"title": "Give it a title."}),
    SessionInvalid: lambda: SessionInvalid({"held_on": "That date is in the future."}),
    OfferInvalid: lambda: OfferInvalid({"desks": "Offer at least one desk."}),
    NotCoordinator: lambda: NotCoordinator("add organisations"),
    UnknownOrganisation: lambda: UnknownOrganisation("Harbor", [OrganisationRef("HRS", "Harbour")]),
    LooksPersonal: lambda: LooksPersonal("what", [FINDING], may_share_anyway=True),
    FieldsLookPersonal: lambda: FieldsLookPersonal([LooksPersonal("what", [FINDING], False)]),
    BadLink: lambda: BadLink("link", "A link must start with http:// or https://."),
    DateError: lambda: DateError("31/02", "That day doesn't exist."),
}


def service_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in a module of bot.services (its packages' too)."""
    found = []
    for module_info in pkgutil.walk_packages(bot.services.__path__, "bot.services."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                found.append(cls)
    return found


REFUSALS = sorted(
    (cls for cls in service_exceptions() if issubclass(cls, Refusal)), key=lambda c: c.__name__
)


def name_of(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def sample(cls: type[Refusal]) -> Refusal:
    make = SAMPLES.get(cls) or (lambda: cls("That can't be done just now.", "/partners help"))
    try:
        return make()
    except TypeError as error:
        raise AssertionError(f"{name_of(cls)}: add how to make one to SAMPLES ({error})") from None


def test_every_service_exception_is_a_refusal_or_listed_as_not_one() -> None:
    others = {name_of(cls) for cls in service_exceptions() if not issubclass(cls, Refusal)}
    assert others - NOT_REFUSALS == set(), (
        "a service exception that is not a Refusal: base it on bot.services.refusal.Refusal "
        "(and give it a reply in bot.slack.refusals), or list it in NOT_REFUSALS with why"
    )


def test_the_families_found_include_every_known_one() -> None:
    names = {cls.__name__ for cls in REFUSALS}
    assert {
        "UpdateProblem", "NotInOrganisation", "NoUpdatesChannel", "Held", "HotdeskProblem",
        "SlotGone", "OfferInvalid", "RightsProblem", "OpportunityProblem", "OpportunityInvalid",
        "Caution", "SessionProblem", "SessionInvalid", "DirectoryError", "NotCoordinator",
        "UnknownOrganisation", "NotAllowed", "LooksPersonal", "FieldsLookPersonal", "BadLink",
        "DateError",
    } <= names  # fmt: skip


@pytest.mark.parametrize("cls", REFUSALS, ids=lambda cls: cls.__name__)
def test_every_refusal_renders_to_a_reply(cls: type[Refusal]) -> None:
    refused = sample(cls)
    message = render(refused, TODAY)
    assert isinstance(message, Message) and message.text.strip() and message.blocks
    assert shown({"blocks": [block.to_dict() for block in message.blocks]}).strip()
    errors = form_errors(refused, "title")
    assert errors and all(field and error.strip() for field, error in errors.items())


def test_a_plain_refusal_is_its_sentence_with_its_example() -> None:
    message = render(Refusal("Nothing matches “x<y”.", "/partners orgs"), TODAY)
    text = shown({"blocks": [block.to_dict() for block in message.blocks]})
    assert message.text == ":warning: Nothing matches “x&lt;y”."
    assert "For example: `/partners orgs`" in text


def test_a_date_refusal_shows_the_command_its_caller_gave() -> None:
    from bot.services.dates import parse_date

    with pytest.raises(DateError) as refused:
        parse_date("31/02", TODAY, "/update list since 1/11")
    assert isinstance(refused.value, ValueError)  # still, for code that reads it as one
    text = shown({"blocks": [block.to_dict() for block in render(refused.value, TODAY).blocks]})
    assert "couldn't read" in text and "/update list since 1/11" in text


def test_form_errors_are_by_the_field_the_refusal_names_else_the_forms_choice() -> None:
    assert form_errors(BadLink("link", "Not a link."), "title") == {"link": "Not a link."}
    assert form_errors(Refusal("No."), "name") == {"name": "No."}
    held = FieldsLookPersonal([LooksPersonal("what_2", [FINDING], False)])
    assert list(form_errors(held)) == ["what_2"]


def test_an_unknown_organisation_offers_to_join_when_joining() -> None:
    refused = UnknownOrganisation("Harbor", [OrganisationRef("HRS", "Harbour")], to_join=True)
    (button,) = buttons({"blocks": [b.to_dict() for b in render(refused, TODAY).blocks]})
    assert button["action_id"] == JOIN_ACTION and button["text"]["text"] == "Join Harbour"


# Through the app ---------------------------------------------------------------------------------


def test_a_refusal_a_listener_lets_through_is_told_to_the_person(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Updates) -> list[str]:
        raise Refusal("The topics are being changed just now.", "/update help")

    monkeypatch.setattr(Updates, "topics", refuse)
    reply = bot.ask("", command="/update")
    told = shown(reply)
    assert "The topics are being changed just now." in told and "/update help" in told
    assert "went wrong" not in told and reply["response_type"] == "ephemeral"
    assert not bot.fake.calls_to("views.open")


def test_a_click_the_service_refuses_is_answered_with_the_refusal(bot: Bot) -> None:
    reply = bot.slack.block_action(MEMBER, JOIN_ACTION, "NOWHERE")
    assert reply.status == 200
    (answer,) = bot.fake.wait_for("response_url")
    assert "No organisation matches “NOWHERE”" in shown(answer.args)
    assert "went wrong" not in shown(answer.args) and answer.args["replace_original"] is False
