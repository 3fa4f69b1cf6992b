"""The gate in: Slack's escaped command text becomes what the person typed, once, before any
listener, rule, search or table sees it; form inputs, which Slack does not escape, are left be."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.fakeslack import FakeSlack
from bot.models import (
    Commitment,
    DeskBooking,
    Member,
    Opportunity,
    Organisation,
    PartnerUpdate,
)
from bot.services.directory import Profile
from bot.services.search import search_words
from bot.services.sessions import CommitmentInput, SessionInput, Sessions
from bot.slack.app import as_typed
from bot.slack.inbound import typed_text
from bot.slack.parsing import user_id_in
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import MONDAY, coming, shown, typed

LONDON = ZoneInfo("Europe/London")
AMINA = "U0000AMINA1"
UPDATES = "#partnership-updates"
OPPORTUNITIES = "#partnership-opportunities"


# typed_text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "typed"),
    [
        ("", ""),
        ("plain words", "plain words"),
        ("Q&amp;A &lt;draft&gt; 1 &gt; 0", "Q&A <draft> 1 > 0"),
        # links: the URL; a label that says something else goes in front
        ("<https://example.org/qa>", "https://example.org/qa"),
        ("<https://example.org/?a=1&amp;b=2>", "https://example.org/?a=1&b=2"),
        ("<http://example.org|example.org>", "http://example.org"),
        ("<https://example.org/qa|https://example.org/qa>", "https://example.org/qa"),
        ("<https://example.org/qa|Q&amp;A notes>", "Q&A notes (https://example.org/qa)"),
        ("<https://example.org|>", "https://example.org"),
        # addresses: the address
        ("<mailto:info@harbour.org|info@harbour.org>", "info@harbour.org"),
        ("<mailto:info@harbour.org?subject=hi|write to us>", "info@harbour.org"),
        # people: the canonical reference, label dropped
        ("<@U0000AMINA1|amina>", "<@U0000AMINA1>"),
        ("<@U0000AMINA1>", "<@U0000AMINA1>"),
        ("<@W0ENTERPRISE|sam>", "<@W0ENTERPRISE>"),
        # channels
        ("<#C0GENERAL|general>", "#general"),
        ("<#C0GENERAL>", "#channel"),
        # special mentions and groups become plain words
        ("<!here>", "@here"),
        ("<!here|here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S0TEAM|@caseworkers>", "@caseworkers"),
        ("<!subteam^S0TEAM>", "@group"),
        ("<!date^1392734382^{date} at {time}|18 Feb 2014 at 6:39am>", "18 Feb 2014 at 6:39am"),
        # markup this does not know: its label, else its content, as plain text
        ("<!unknown^x|shown>", "shown"),
        ("<!unknown>", "!unknown"),
        ("<@B0BOT|a bot>", "a bot"),
        ("<something>", "something"),
        ("<tel:+441234|call us>", "call us"),
        ("<>", ""),
    ],
)
def test_each_kind_of_token_becomes_what_was_typed(escaped: str, typed: str) -> None:
    assert typed_text(escaped) == typed


@pytest.mark.parametrize(
    ("escaped", "typed"),
    [
        ("&amp;lt;", "&lt;"),  # the person typed `&lt;`
        ("&amp;amp;", "&amp;"),
        ("&amp;gt;&amp;", "&gt;&"),
        ("<https://x.org/?q=&amp;amp;>", "https://x.org/?q=&amp;"),
        ("&lt;@U0000AMINA1&gt;", "<@U0000AMINA1>"),  # typed literally: the same reference
        ("&lt;!channel&gt;", "<!channel>"),  # typed literally: text, escaped on the way out
        ("&quot;&#39;", "&quot;&#39;"),  # not escaped by Slack, so not decoded
    ],
)
def test_entities_are_decoded_once(escaped: str, typed: str) -> None:
    assert typed_text(escaped) == typed


@pytest.mark.parametrize(
    ("escaped", "typed"),
    [
        ("a < b", "a < b"),
        ("a > b", "a > b"),
        ("<https://x.org", "<https://x.org"),
        ("<a <@U1|x> b>", "<a <@U1> b>"),
        ("<<!here>>", "<@here>"),
        ("<|label>", "label"),
        ("<https://x.org|a|b>", "a|b (https://x.org)"),
        ("&amp", "&amp"),
        ("&lt &gt;", "&lt >"),
    ],
)
def test_malformed_or_nested_markup_is_read_as_far_as_it_goes(escaped: str, typed: str) -> None:
    assert typed_text(escaped) == typed


def test_search_reads_the_typed_words_not_the_entities() -> None:
    assert search_words(typed_text("housing &amp; benefits &lt;now&gt;")) == [
        "housing",
        "benefits",
        "now",
    ]


# The fake's escaping, undone ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> FakeSlack:
    """Not started: escaping needs only the people and channels it knows."""
    fake = FakeSlack()
    fake.add_user(AMINA, "Amina Yusuf", display_name="amina")
    fake.add_user(MEMBER, "Sam Member")
    fake.add_channel("C0UPDATES", "partnership-updates")
    return fake


_TRICKY = st.sampled_from([*"&<>|;!^ampltg", "&amp;", "&lt;", "&gt;", "&amp;lt;", "<!"])
PLAIN = st.lists(
    st.one_of(st.text(st.characters(exclude_characters="@#", codec="utf-8"), max_size=6), _TRICKY),
    max_size=20,
).map("".join)


def _no_links(text: str) -> bool:
    return "://" not in text and not re.search(r"[\w-]\.\w", text)


@given(text=PLAIN)
def test_text_without_links_or_mentions_comes_back_as_typed(fake: FakeSlack, text: str) -> None:
    assume(_no_links(text))
    assert typed_text(fake.escape_command_text(text)) == text


SEGMENTS = st.one_of(
    PLAIN.filter(_no_links).map(lambda text: (text, text)),
    st.sampled_from(
        [
            ("https://example.org/qa", "https://example.org/qa"),
            # a link ends before `<`, which stays text
            ("https://example.org/?a=1&b=<2>", "https://example.org/?a=1&b=<2>"),
            ("example.org/path", "http://example.org/path"),
            ("www.harbour.org.uk.", "http://www.harbour.org.uk."),
            ("(https://x.org/a),", "(https://x.org/a),"),
            ("info@harbour.org", "info@harbour.org"),
            ("@amina", f"<@{AMINA}>"),
            ("@sam.member", f"<@{MEMBER}>"),
            (f"@{AMINA}", f"<@{AMINA}>"),
            ("@nobody", "@nobody"),
            ("#partnership-updates", "#partnership-updates"),
            ("#general", "#general"),
            ("#elsewhere", "#elsewhere"),
            ("@here", "@here"),
            ("@channel", "@channel"),
            ("@everyone", "@everyone"),
        ]
    ),
)


@given(segments=st.lists(SEGMENTS, max_size=8))
def test_links_and_mentions_come_back_with_their_meaning(
    fake: FakeSlack, segments: list[tuple[str, str]]
) -> None:
    typed = " ".join(text for text, _ in segments)
    expected = " ".join(meaning for _, meaning in segments)
    assert typed_text(fake.escape_command_text(typed)) == expected


@given(text=st.text(max_size=60))
def test_escaped_text_holds_no_bare_angle_or_ampersand(fake: FakeSlack, text: str) -> None:
    """Outside its markup tokens Slack's text has only the three entities, never `<` or `>`."""
    between = re.sub(r"<[^<>]*>", "", fake.escape_command_text(text))
    assert "<" not in between and ">" not in between
    assert not re.search(r"&(?!amp;|lt;|gt;)", between)


@pytest.mark.parametrize("reference", [f"<@{AMINA}>", f"<@{AMINA}|amina>", AMINA])
def test_a_reference_typed_by_hand_still_names_the_person(fake: FakeSlack, reference: str) -> None:
    """Tests (and people) sometimes type `<@U…>` themselves: it comes back as typed."""
    decoded = typed_text(fake.escape_command_text(f"{reference} and more"))
    assert decoded == f"{reference} and more"
    assert user_id_in(decoded.split()[0]) == AMINA


def test_the_fake_marks_up_as_slack_does(fake: FakeSlack) -> None:
    assert fake.escape_command_text(
        "Q&A <now> at https://example.org/qa. See example.org, mail info@harbour.org; "
        "@amina @here #partnership-updates"
    ) == (
        "Q&amp;A &lt;now&gt; at <https://example.org/qa>. See <http://example.org|example.org>, "
        "mail <mailto:info@harbour.org|info@harbour.org>; <@U0000AMINA1|amina> <!here> "
        "<#C0UPDATES|partnership-updates>"
    )


# The middleware, in Bolt -------------------------------------------------------------------------


def _bolt_app(seen: dict[str, Any], slack: FakeSlack) -> App:
    app = App(
        client=WebClient(token="xoxb-test", base_url=slack.base_url),  # Bolt's auth.test
        signing_secret="unused",
        request_verification_enabled=False,
        token_verification_enabled=False,
        process_before_response=True,
    )
    app.use(as_typed)

    @app.command("/update")
    def command(ack: Any, body: dict, command: dict, payload: dict) -> None:
        ack()
        seen.update(body=body, command=command, payload=payload)

    @app.view("form")
    def form(ack: Any, body: dict, view: dict) -> None:
        ack()
        seen.update(view=view)

    return app


def test_listeners_get_the_typed_text_in_command_body_and_payload_alike(
    fake_slack_server: FakeSlack,
) -> None:
    """Bolt's `command` and `payload` are the request's `body` itself (to_command returns it),
    so the middleware's one change reaches every way a listener reads the text."""
    seen: dict[str, Any] = {}
    form = {"command": "/update", "text": "Q&amp;A <!here>", "user_id": MEMBER, "team_id": "T1"}
    request = BoltRequest(
        body=urllib.parse.urlencode(form),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )
    assert _bolt_app(seen, fake_slack_server).dispatch(request).status == 200
    assert seen["command"] is seen["body"] and seen["payload"] is seen["body"]
    assert seen["command"]["text"] == "Q&A @here"


def test_form_inputs_are_not_decoded(fake_slack_server: FakeSlack) -> None:
    seen: dict[str, Any] = {}
    values = {"text": {"value": {"type": "plain_text_input", "value": "Tom &amp; Jerry <b>"}}}
    payload = {
        "type": "view_submission",
        "user": {"id": MEMBER},
        "team": {"id": "T1"},
        "view": {"id": "V1", "type": "modal", "callback_id": "form", "state": {"values": values}},
    }
    request = BoltRequest(
        body=urllib.parse.urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )
    assert _bolt_app(seen, fake_slack_server).dispatch(request).status == 200
    assert seen["view"]["state"]["values"] == values


# End to end, on every command --------------------------------------------------------------------


def meaning(text: str) -> str:
    """What a person reads in Slack: the entities of one level of escaping undone."""
    return html.unescape(text)


def escaped_once(text: str) -> bool:
    return "&amp;amp;" not in text and "&amp;lt;" not in text and "&amp;gt;" not in text


@pytest.fixture
def members(bot: Bot) -> Bot:
    """MEMBER works at Harbour Refugee Support, OTHER at New Roots Housing."""
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def rows(bot: Bot, model: type) -> list[Any]:
    with Session(bot.engine) as session:
        return list(session.exec(select(model).order_by(model.id)).all())


def channel_text(bot: Bot, channel: str) -> str:
    posts = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == channel)
    return shown(posts[-1].args)


def test_update_is_stored_as_typed_and_posted_escaped_once(members: Bot) -> None:
    typed_update = "Q&A on housing & benefits at https://example.org/qa with @amina"
    answer = shown(members.ask(typed_update, command="/update"))
    assert "Posted to #partnership-updates" in answer and escaped_once(answer)
    (update,) = rows(members, PartnerUpdate)
    assert update.text == (
        "Q&A on housing & benefits at https://example.org/qa with <@U0000AMINA1>"
    )
    posted = channel_text(members, UPDATES)
    assert "Q&amp;A" in posted and escaped_once(posted)
    assert "housing &amp; benefits" in posted and "https://example.org/qa" in posted
    assert AMINA in posted
    found = shown(members.ask("search housing & benefits", command="/update"))
    assert escaped_once(found)
    assert "Q&A on housing & benefits" in meaning(found)  # "amp" was not searched for


def test_update_with_angles_mailto_and_special_mentions_pings_nobody(members: Bot) -> None:
    members.ask(
        "hello @channel and @here: <drop-in> 2>1, write to info@harbour.org", command="/update"
    )
    (update,) = rows(members, PartnerUpdate)
    assert update.text == "hello @channel and @here: <drop-in> 2>1, write to info@harbour.org"
    posted = channel_text(members, UPDATES)
    assert "<!channel>" not in posted and "<!here>" not in posted
    assert "&lt;drop-in&gt; 2&gt;1" in posted and escaped_once(posted)
    assert "info@harbour.org" in posted


def test_update_from_slacks_own_markup_stores_plain_words(members: Bot) -> None:
    """What only real Slack sends (groups, dates, the `|here` form), sent as it is."""
    reply = members.slack.command(
        "/update",
        "hello <!channel> <!here|here> <!subteam^S0CASE|@caseworkers> on "
        "<!date^1784000000^{date}|24 Nov> at <https://example.org/qa|the Q&amp;A page>",
        user_id=MEMBER,
        escape=False,
    )
    assert reply.status == 200
    members.fake.wait_for("response_url", count=3)
    (update,) = rows(members, PartnerUpdate)
    assert update.text == (
        "hello @channel @here @caseworkers on 24 Nov at the Q&A page (https://example.org/qa)"
    )
    posted = channel_text(members, UPDATES)
    assert "<!channel>" not in posted and "<!subteam" not in posted and escaped_once(posted)


def test_update_form_input_is_stored_as_typed_without_decoding(members: Bot) -> None:
    """Slack does not escape form inputs: `&amp;` typed in a form is kept literally."""
    seen = len(members.fake.calls_to("views.open"))
    members.slack.command("/update", "", user_id=MEMBER)
    view = members.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    values = {
        "text": {"value": {"type": "plain_text_input", "value": "Tom &amp; Jerry <club>"}},
        "topics": {"value": {"type": "multi_static_select", "selected_options": []}},
        "help": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    members.slack.view_submission(MEMBER, view, values)
    members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == UPDATES)
    (update,) = rows(members, PartnerUpdate)
    assert update.text == "Tom &amp; Jerry <club>"


def test_opportunity_one_line_keeps_the_ampersand_in_the_title_and_the_link_as_typed(
    members: Bot,
) -> None:
    closes = datetime.now(LONDON).date() + timedelta(days=20)
    answer = shown(
        members.ask(
            f"training Q&A skills <for> new staff closes {typed(closes)} "
            "https://example.org/t?a=1&b=2",
            command="/opportunity",
        )
    )
    assert "Shared in #partnership-opportunities" in answer and escaped_once(answer)
    (row,) = rows(members, Opportunity)
    assert (row.title, row.link, row.closes_on) == (
        "Q&A skills <for> new staff",
        "https://example.org/t?a=1&b=2",
        closes,
    )
    posted = channel_text(members, OPPORTUNITIES)
    assert "Q&amp;A skills &lt;for&gt; new staff" in posted and escaped_once(posted)
    assert "https://example.org/t?a=1&amp;b=2" in posted


def test_opportunity_title_with_a_mention_an_address_and_a_special_mention(members: Bot) -> None:
    members.ask(
        "event Drop-in with @amina, ask info@harbour.org @channel https://example.org/drop-in",
        command="/opportunity",
    )
    (row,) = rows(members, Opportunity)
    assert row.title == "Drop-in with <@U0000AMINA1>, ask info@harbour.org @channel"
    assert row.link == "https://example.org/drop-in"
    posted = channel_text(members, OPPORTUNITIES)
    assert "<!channel>" not in posted and escaped_once(posted)


def test_hotdesk_book_finds_an_agency_whose_name_has_an_ampersand(members: Bot) -> None:
    with Session(members.engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        harbour.name = "Harbour Refugee & Migrant <Support>"
        session.add(harbour)
        session.commit()
    members.clock.set(MONDAY)
    day = coming("tue")
    answer = shown(
        members.ask(
            f"book Harbour Refugee & Migrant <Support> {typed(day)} am",
            user_id=OTHER,
            command="/hotdesk",
        )
    )
    (booking,) = rows(members, DeskBooking)
    assert (booking.visitor_id, booking.day, booking.part) == (OTHER, day, "am")
    assert "Harbour Refugee & Migrant <Support>" in meaning(answer) and escaped_once(answer)


def test_hotdesk_tells_back_an_unknown_agency_as_typed(members: Bot) -> None:
    members.clock.set(MONDAY)
    day = coming("tue")
    answer = shown(
        members.ask(
            f"book Q&A <Co> @amina info@qa.org https://qa.org @here {typed(day)} am",
            command="/hotdesk",
        )
    )
    assert rows(members, DeskBooking) == []
    assert escaped_once(answer) and "<!here>" not in answer
    assert "Q&A <Co>" in meaning(answer) and "info@qa.org" in meaning(answer)


def _record_session(bot: Bot) -> None:
    entry = SessionInput(
        title="Winter session", kind="reflective", held_on=date.today() - timedelta(days=1),
        organisations=("HRS", "NRH"), next_on=None, next_place="Harbour",
        commitments=(CommitmentInput(MEMBER, "Share the job description", None),),
    )  # fmt: skip
    Sessions(bot.engine, LONDON).record(
        COORDINATOR, entry, date.today(), lambda user_id: Profile(user_id, tz="Europe/London")
    )


def test_session_commit_for_a_mentioned_person_with_an_ampersand(members: Bot) -> None:
    _record_session(members)
    by = datetime.now(LONDON).date() + timedelta(days=10)
    answer = shown(
        members.ask(
            f"commit @amina share the Q&A notes by {by:%-d/%-m/%Y}",
            user_id=COORDINATOR,
            command="/session",
        )
    )
    added = rows(members, Commitment)[-1]
    assert (added.owner_id, added.what, added.due_on) == (AMINA, "share the Q&A notes", by)
    assert "share the Q&amp;A notes" in answer and escaped_once(answer)


def test_session_commit_keeps_angles_links_addresses_and_special_mentions(members: Bot) -> None:
    _record_session(members)
    members.ask(
        "commit me send the <draft> Q&A to info@harbour.org, see https://example.org/qa @channel",
        command="/session",
    )
    added = rows(members, Commitment)[-1]
    assert (added.owner_id, added.what) == (
        MEMBER,
        "send the <draft> Q&A to info@harbour.org, see https://example.org/qa @channel",
    )


def test_partners_org_add_and_join_with_an_ampersand(bot: Bot) -> None:
    added = shown(bot.ask("org add FAF Families & Friends <North>", user_id=COORDINATOR))
    assert escaped_once(added) and "Families & Friends <North>" in meaning(added)
    (org,) = [o for o in rows(bot, Organisation) if o.code == "FAF"]
    assert org.name == "Families & Friends <North>"
    joined = shown(bot.ask("join Families & Friends <North>", user_id=MEMBER))
    assert escaped_once(joined) and "Families & Friends <North>" in meaning(joined)
    with Session(bot.engine) as session:
        member = session.exec(select(Member).where(Member.slack_user_id == MEMBER)).one()
    assert member.organisation_id == org.id


def test_partners_coordinator_add_resolves_a_typed_mention(bot: Bot) -> None:
    answer = shown(bot.ask("coordinator add @amina", user_id=COORDINATOR))
    assert "is now a coordinator" in answer
    with Session(bot.engine) as session:
        amina = session.exec(select(Member).where(Member.slack_user_id == AMINA)).one()
    assert amina.is_coordinator


def test_partners_tells_back_an_unknown_organisation_as_typed(bot: Bot) -> None:
    answer = shown(bot.ask("join Q&A <Co> @amina info@qa.org https://qa.org @here"))
    assert escaped_once(answer) and "<!here>" not in answer
    assert "Q&A <Co>" in meaning(answer) and "https://qa.org" in meaning(answer)
