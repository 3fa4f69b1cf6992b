"""/jargon end to end, and jargon under posts: signed requests in, the fake Slack out, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func
from sqlmodel import Session, select

from bot.models import GlossarySynonym, GlossaryTerm, Partnership
from bot.scoping import ours
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    read_partnership_file,
)
from jobs.registry import JOBS
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, privacy_policy, shown

UPDATES = "#partnership-updates"
OPPORTUNITIES = "#partnership-opportunities"
ISP = "add ISP Individual Support Plan — the plan a support worker writes with the person"


@pytest.fixture
def members(bot: Bot) -> Bot:
    """MEMBER works at Harbour Refugee Support (HRS), OTHER at New Roots Housing (NRH); the
    glossary starts empty and the stoplist is the built-in one (not the sample file's)."""
    with Session(bot.engine) as session:
        session.connection().execute(delete(GlossaryTerm).where(ours(GlossaryTerm)))
        session.get_one(Partnership, 1).jargon_stoplist = []
        session.commit()
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def test_the_partnership_file_fills_the_glossary_and_extends_the_stoplist(bot: Bot) -> None:
    card = jargon(bot, "UASC")
    assert "Unaccompanied asylum-seeking child _(the partnership)_" in card
    with Session(bot.engine) as session:
        assert session.get_one(Partnership, 1).jargon_stoplist == ["ESOL", "CV"]
    again = apply_partnership(bot.engine, read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS))
    assert (again.glossary.added, again.glossary.unchanged) == (0, 4)


def jargon(bot: Bot, text: str, user_id: str = MEMBER) -> str:
    return shown(bot.ask(text, user_id=user_id, command="/jargon"))


def entries(bot: Bot) -> int:
    with Session(bot.engine) as session:
        return session.exec(select(func.count()).select_from(GlossaryTerm)).one()


def posted_to(bot: Bot, channel: str) -> dict:
    return bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == channel)[-1].args


def test_a_term_gets_a_meaning_from_each_organisation_and_its_other_names(members: Bot) -> None:
    assert "Added *ISP* to the glossary for *Harbour Refugee Support*" in jargon(members, ISP)
    second = jargon(members, "add isp Individual Settlement Plan", user_id=OTHER)
    assert "their meanings are kept beside yours" in second
    jargon(members, "add ITP Individual Treatment Plan", user_id=OTHER)
    assert "*ISP* and *ITP* name the same thing" in jargon(members, "same ISP ITP")
    card = jargon(members, "ISP")
    assert "Individual Support Plan — the plan a support worker writes with the person" in card
    assert "(Harbour Refugee Support)" in card and "Individual Settlement Plan" in card
    assert "(New Roots Housing)" in card and "Also called: ITP" in card
    assert "Also called: ISP" in jargon(members, "itp")
    assert entries(members) == 3


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        ('add "  " Something', MEMBER, "Which term?"),
        (f"add {'A' * 41} Far too long", MEMBER, "at most 40 characters; that one is 41"),
        ("add ISP Another meaning", MEMBER, "already in the glossary for Harbour Refugee Support"),
        ("add ESOL", MEMBER, "What does it mean?"),
        ("same ISP isp", MEMBER, "already the same as itself"),
        ("same ISP", MEMBER, "Name two terms"),
        ("same ISP PIP", MEMBER, "PIP isn't in the glossary yet"),
        ("merge ISP ITP", MEMBER, "Only coordinators can merge glossary entries"),
        ("remove ISP", OTHER, "Only coordinators can remove glossary entries"),
        ("edit ISP Something else", MEMBER, "Only coordinators can edit glossary entries"),
        ("UASC", MEMBER, "UASC isn't in the glossary yet"),
        ("search !!!", MEMBER, "Search for at least one word"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    members: Bot, text: str, user_id: str, expected: str
) -> None:
    jargon(members, ISP)
    jargon(members, "add ITP Individual Treatment Plan", user_id=OTHER)
    assert expected in jargon(members, text, user_id=user_id)
    assert entries(members) == 2
    with Session(members.engine) as session:
        assert session.exec(select(GlossarySynonym)).all() == []


def test_a_member_without_an_organisation_is_told_to_join_first(bot: Bot) -> None:
    before = entries(bot)
    assert "/partners join" in jargon(bot, "add PIP Personal Independence Payment")
    assert entries(bot) == before


def test_personal_data_never_reaches_the_glossary(members: Bot) -> None:
    privacy_policy(members, "block")
    answer = jargon(members, "add JB Jo Bloggs — call her on 07700 900123")
    assert "personal data" in answer and entries(members) == 0


def test_coordinators_edit_merge_and_remove(members: Bot) -> None:
    jargon(members, ISP)
    jargon(members, "add ISP Individual Settlement Plan", user_id=OTHER)
    jargon(members, "add ITP Individual Treatment Plan", user_id=OTHER)
    assert "say which organisation's" in jargon(members, "edit ISP Something", COORDINATOR)
    edited = jargon(members, "edit ISP NRH Initial Settlement Plan — first month", COORDINATOR)
    assert "Initial Settlement Plan — first month" in edited
    merged = jargon(members, "merge ITP ISP", COORDINATOR)
    assert "Filed ITP under *ISP*" in merged
    card = jargon(members, "ITP")  # now another name for ISP, whose meanings it shows
    assert "Individual Support Plan" in card and "Initial Settlement Plan" in card
    assert "Individual Treatment Plan" not in card  # NRH already explained ISP: theirs stands
    assert "Removed 1 meaning of *ISP*" in jargon(members, "remove ISP NRH", COORDINATOR)
    assert "Removed 1 meaning" in jargon(members, "remove ISP", COORDINATOR)
    assert entries(members) == 0
    assert "isn't in the glossary yet" in jargon(members, "ITP")


def test_the_glossary_pages_newest_first_and_searches(members: Bot) -> None:
    for number in range(12):
        jargon(members, f"add T{number:02d} Term number {number}")
    first = members.ask("", command="/jargon")
    text = shown(first)
    assert text.index("T11") < text.index("T10") and "T01" not in text
    (more,) = [b for b in buttons(first) if b["action_id"] == "jargon_more"]
    seen = len(members.fake.calls_to("response_url"))
    members.slack.block_action(MEMBER, "jargon_more", more["value"])
    second = shown(members.fake.wait_for("response_url", count=seen + 1)[-1].args)
    assert "T01" in second and "T00" in second and "T11" not in second
    found = jargon(members, "search t07")
    assert "T07" in found and "T08" not in found


def test_a_post_gets_one_quiet_line_of_its_glossary_terms(members: Bot) -> None:
    jargon(members, ISP)
    jargon(members, "add ESOL English for Speakers of Other Languages", user_id=OTHER)
    answer = members.ask("Every ISP review now offers esol classes", command="/update")
    assert "Posted to" in shown(answer)
    post = posted_to(members, UPDATES)
    line = post["blocks"][-1]
    assert line["type"] == "context"
    assert shown(line) == (
        "*ISP*: Individual Support Plan · *ESOL*: English for Speakers of Other Languages"
    )
    assert not [b for b in buttons(answer) if b["action_id"] == "jargon_suggest"]


def test_one_suggestion_for_unknown_acronyms_never_for_the_stoplist_never_blocking(
    members: Bot,
) -> None:
    with Session(members.engine) as session:
        settings = session.get(Partnership, 1)
        settings.jargon_stoplist = ["uasc"]
        session.add(settings)
        session.commit()
    answer = members.ask(
        "UASC and NHS referrals: ask about PIP, UC and the DWP at HRS", command="/update"
    )
    assert "Posted to" in shown(answer)
    assert "UASC" in shown(posted_to(members, UPDATES))  # posted as typed, first
    (suggest,) = [b for b in buttons(answer) if b["action_id"] == "jargon_suggest"]
    assert suggest["value"] == "PIP"  # not UASC (the file's stoplist), NHS (built in) or HRS
    assert "*PIP* isn't in the glossary yet — add what it means?" in shown(answer)
    seen = len(members.fake.calls_to("views.open"))
    members.slack.block_action(MEMBER, "jargon_suggest", "PIP")
    form = members.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    assert form["blocks"][0]["element"]["initial_value"] == "PIP"
    values = {
        "term": {"value": {"type": "plain_text_input", "value": "PIP"}},
        "meaning": {
            "value": {"type": "plain_text_input", "value": "Personal Independence Payment"}
        },
        "description": {"value": {"type": "plain_text_input", "value": ""}},
    }
    seen = len(members.fake.calls_to("response_url"))
    assert members.slack.view_submission(MEMBER, form, values).status == 200
    added = members.fake.wait_for("response_url", count=seen + 1)[-1].args
    assert "Added *PIP* to the glossary" in shown(added)
    assert "Personal Independence Payment" in jargon(members, "PIP")


def test_the_add_form_refuses_a_blank_term_in_place(members: Bot) -> None:
    seen = len(members.fake.calls_to("views.open"))
    assert members.slack.command("/jargon", "add").status == 200
    form = members.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    values = {
        "term": {"value": {"type": "plain_text_input", "value": "   "}},
        "meaning": {"value": {"type": "plain_text_input", "value": "Something"}},
        "description": {"value": {"type": "plain_text_input", "value": ""}},
    }
    reply = members.slack.view_submission(MEMBER, form, values)
    assert reply.json["response_action"] == "errors"
    assert "Which term?" in reply.json["errors"]["term"]
    assert entries(members) == 0


def test_an_opportunity_gets_the_jargon_line_and_the_suggestion_too(members: Bot) -> None:
    jargon(members, ISP)
    answer = members.ask("training ISP writing for the LGBTQ project", command="/opportunity")
    post = posted_to(members, OPPORTUNITIES)
    assert shown(post["blocks"][-1]) == "*ISP*: Individual Support Plan"
    (suggest,) = [b for b in buttons(answer) if b["action_id"] == "jargon_suggest"]
    assert json.dumps(suggest["value"]) == '"LGBTQ"'


def test_a_meaning_with_markup_is_shown_as_typed_pinging_nobody(members: Bot) -> None:
    """Slack sends the command escaped (should_escape): `&amp;`, `&lt;!channel&gt;`; the card
    shows what was typed, escaped once, so it can never ping the channel."""
    added = jargon(members, "add R&D Research & development <!channel> — see <b>us</b>")
    assert "&amp;amp;" not in added and "<!channel>" not in added
    card = jargon(members, "R&D")
    assert "Research &amp; development &lt;!channel&gt;" in card, card
    assert "<!channel>" not in card and "&amp;amp;" not in card
    assert "&lt;b&gt;us&lt;/b&gt;" in card
