"""/update end to end: posting, the privacy guard, related work, search, paging, edit, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import update as sa_update
from sqlmodel import Session, select

from bot.models import Draft, Partnership, PartnerUpdate
from bot.scoping import ours
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, form_values, replies_to, shown

CHANNEL = "#partnership-updates"


@pytest.fixture
def members(bot: Bot) -> Bot:
    """MEMBER works at Harbour Refugee Support, OTHER at New Roots Housing."""
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def updates_in_db(bot: Bot) -> int:
    with Session(bot.engine) as session:
        return session.exec(select(func.count()).select_from(PartnerUpdate)).one()


def posts(bot: Bot) -> list:
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]


def open_form(bot: Bot, user_id: str = MEMBER) -> dict:
    seen = len(bot.fake.calls_to("views.open"))
    assert bot.slack.command("/update", "", user_id=user_id).status == 200
    return bot.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]


def test_an_update_is_posted_for_the_organisation_and_the_author_can_edit_or_delete(
    members: Bot,
) -> None:
    answer = members.ask("We've opened a Saturday drop-in for young people", command="/update")
    assert "Posted to #partnership-updates for *Harbour Refugee Support*" in shown(answer)
    assert {b["action_id"] for b in buttons(answer)} == {"update_edit", "update_delete"}
    post = members.fake.wait_for("chat.postMessage")[0].args
    assert post["channel"] == CHANNEL
    text = shown(post)
    assert "*Harbour Refugee Support* · <@U0MEMBER>" in text
    assert "Saturday drop-in for young people" in text
    assert updates_in_db(members) == 1


def test_user_text_is_escaped_so_it_pings_nobody(members: Bot) -> None:
    """Markup typed literally stays text; a person mentioned stays a mention of that person."""
    members.ask(
        "Hello <!channel> <!here> @channel <@U0OTHER> <https://evil.example|click> & more",
        command="/update",
    )
    text = shown(members.fake.wait_for("chat.postMessage")[0].args)
    escaped = (
        "&lt;!channel&gt; &lt;!here&gt; @channel <@U0OTHER> &lt;https://evil.example|click&gt;"
    )
    assert f"{escaped} &amp; more" in text
    assert "<!channel>" not in text and "<!here>" not in text and "&amp;amp;" not in text


def test_a_member_without_an_organisation_is_told_how_and_gets_the_text_back(bot: Bot) -> None:
    text = shown(bot.ask("Our new legal clinic opens on Tuesdays", command="/update"))
    assert "/partners join" in text
    assert "Our new legal clinic opens on Tuesdays" in text
    assert updates_in_db(bot) == 0 and not posts(bot)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 3001, "at most 3000"),
        ("<@U0OTHER|olu>", "only a mention"),
        ("search", "Search for at least one word"),
        ("search !!! ???", "Search for at least one word"),
        ("list Nowhere Org", "No organisation matches"),
        ("list since 31/02", "couldn't read"),
        ("list since 1/1/2099", "can't be in the future"),
    ],
)
def test_bad_input_gets_a_clear_private_reply_and_writes_nothing(
    members: Bot, text: str, expected: str
) -> None:
    assert expected in shown(members.ask(text, command="/update"))
    assert updates_in_db(members) == 0 and not posts(members)


def test_the_form_posts_with_topics_and_a_request_for_help(members: Bot) -> None:
    view = open_form(members)
    assert view["blocks"][0]["element"]["max_length"] == 3000
    topics = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert "housing" in topics and "legal advice" in topics
    replies = len(members.fake.calls_to("response_url"))
    reply = members.slack.view_submission(
        MEMBER, view, form_values("Piloting a rent deposit scheme", ["housing"], True)
    )
    assert reply.status == 200 and not reply.body
    text = shown(members.fake.wait_for("chat.postMessage")[0].args)
    assert "Topics: housing" in text and "would welcome help or partners" in text
    confirmation = members.fake.wait_for("response_url", count=replies + 1)[-1].args
    assert "Posted to" in shown(confirmation)


def test_the_form_refuses_blank_text_in_place(members: Bot) -> None:
    reply = members.slack.view_submission(MEMBER, open_form(members), form_values("   \n  "))
    assert reply.json["response_action"] == "errors"
    assert "needs some text" in reply.json["errors"]["text"]
    assert updates_in_db(members) == 0


def test_personal_data_is_held_back_then_posted_anyway_once(members: Bot) -> None:
    answer = members.ask("Can someone call Ahmed on 07700 900123 about housing?", command="/update")
    text = shown(answer)
    assert "Not posted yet" in text and "UK phone number" in text
    assert "07700 900123" not in text  # shown masked
    assert not posts(members) and updates_in_db(members) == 0
    anyway = next(b for b in buttons(answer) if b["action_id"] == "update_post_anyway")
    for _ in range(2):
        assert (
            members.slack.block_action(MEMBER, "update_post_anyway", anyway["value"]).status == 200
        )
    replies = members.fake.wait_for("response_url", count=5)
    assert "already been posted" in shown(replies[-1].args) or "already been posted" in shown(
        replies[-2].args
    )
    assert len(posts(members)) == 1 and updates_in_db(members) == 1


def test_a_held_draft_a_day_old_is_gone_whether_or_not_the_clock_has_deleted_it(
    members: Bot,
) -> None:
    answer = members.ask("Can someone call Ahmed on 07700 900123 about housing?", command="/update")
    anyway = next(b for b in buttons(answer) if b["action_id"] == "update_post_anyway")
    with members.engine.begin() as connection:
        connection.execute(
            sa_update(Draft)
            .where(ours(Draft))
            .values(created_at=datetime.now(UTC) - timedelta(hours=24, minutes=1))
        )
    (told,) = replies_to(
        members, lambda: members.slack.block_action(MEMBER, "update_post_anyway", anyway["value"])
    )
    assert "already been posted or discarded" in shown(told)
    assert not posts(members) and updates_in_db(members) == 0


def test_a_block_policy_offers_no_post_anyway(members: Bot) -> None:
    with Session(members.engine) as session:
        settings_row = session.get(Partnership, 1)
        settings_row.privacy_policy = "block"
        session.add(settings_row)
        session.commit()
    answer = members.ask("Her email is fatima.k@gmail.com", command="/update")
    assert "never post" in shown(answer)
    assert [b["action_id"] for b in buttons(answer)] == ["update_draft_edit"]


def test_editing_a_held_draft_reopens_the_form_with_the_text(members: Bot) -> None:
    answer = members.ask("Ask for Sam, DOB 03/04/2008, about college", command="/update")
    edit = next(b for b in buttons(answer) if b["action_id"] == "update_draft_edit")
    members.slack.block_action(MEMBER, edit["action_id"], edit["value"])
    view = members.fake.wait_for("views.open")[0].args["view"]
    assert "DOB 03/04/2008" in view["blocks"][0]["element"]["initial_value"]
    replies = len(members.fake.calls_to("response_url"))
    members.slack.view_submission(
        MEMBER, view, form_values("We can help young people apply to college")
    )
    assert "college" in shown(members.fake.wait_for("chat.postMessage")[0].args)
    members.fake.wait_for("response_url", count=replies + 1)  # confirmed, so committed
    with Session(members.engine) as session:
        assert session.exec(select(func.count()).select_from(Draft)).one() == 0


def test_related_work_from_other_organisations_is_shown_to_the_author(members: Bot) -> None:
    members.ask(
        "Our rent deposit guarantee now covers refugees leaving asylum hotels",
        user_id=OTHER,
        command="/update",
    )
    members.ask(
        "Our own deposit scheme pilot", user_id=MEMBER, command="/update"
    )  # same org: not related
    answer = shown(
        members.ask("Looking for partners on rent deposit schemes for refugees", command="/update")
    )
    assert "Related work from other organisations" in answer
    assert (
        "rent deposit guarantee" in answer
        and "New Roots Housing" in answer
        and "<@U0OTHER>" in answer
    )
    assert "Our own deposit scheme pilot" not in answer


def test_search_finds_every_update_newest_first_ten_at_a_time(members: Bot) -> None:
    for number in range(12):
        members.ask(f"ESOL conversation club session {number}", command="/update")
    members.ask("Unrelated news about football", command="/update")
    first = members.ask("search esol", command="/update")
    text = shown(first)
    assert "session 11" in text and "session 2" in text and "session 1\n" not in text
    assert "football" not in text
    more = next(b for b in buttons(first) if b["action_id"] == "update_more")
    seen = len(members.fake.calls_to("response_url"))
    members.slack.block_action(MEMBER, "update_more", more["value"])
    second = shown(members.fake.wait_for("response_url", count=seen + 1)[-1].args)
    assert "session 1" in second and "session 0" in second and "session 5" not in second


def test_list_by_organisation_and_since_and_mine(members: Bot) -> None:
    members.ask("Harbour news", command="/update")
    members.ask("New Roots news", user_id=OTHER, command="/update")
    harbour = shown(members.ask("list harbour", command="/update"))
    assert "Harbour news" in harbour and "New Roots news" not in harbour
    recent = shown(members.ask("list since yesterday", command="/update"))
    assert "Harbour news" in recent and "New Roots news" in recent
    mine = members.ask("mine", user_id=OTHER, command="/update")
    assert "New Roots news" in shown(mine) and "Harbour news" not in shown(mine)
    assert {b["action_id"] for b in buttons(mine)} == {"update_edit", "update_delete"}
    assert not buttons(members.ask("list new roots", user_id=MEMBER, command="/update"))
    as_coordinator = members.ask("list new roots", user_id=COORDINATOR, command="/update")
    assert [b["action_id"] for b in buttons(as_coordinator)] == ["update_delete"]


def test_the_author_edits_and_the_channel_message_follows(members: Bot) -> None:
    answer = members.ask("Drop-in on Fridays", command="/update")
    edit = next(b for b in buttons(answer) if b["action_id"] == "update_edit")
    members.slack.block_action(MEMBER, "update_edit", edit["value"])
    view = members.fake.wait_for("views.open")[0].args["view"]
    assert json.loads(view["private_metadata"])["edit"] == int(edit["value"])
    members.slack.view_submission(MEMBER, view, form_values("Drop-in on Fridays and Saturdays"))
    updated = members.fake.wait_for("chat.update")[0].args
    assert "Fridays and Saturdays" in shown(updated) and "edited" in shown(updated)
    channel_message = members.fake.messages(updated["channel"])[0]
    assert "Fridays and Saturdays" in shown(channel_message)


def test_only_the_author_or_a_coordinator_deletes_and_the_message_goes_too(members: Bot) -> None:
    answer = members.ask("Closing early on Friday", command="/update")
    delete = next(b for b in buttons(answer) if b["action_id"] == "update_delete")
    members.slack.block_action(OTHER, "update_delete", delete["value"])
    assert "Only its author" in shown(members.fake.wait_for("response_url", count=4)[-1].args)
    assert updates_in_db(members) == 1
    members.slack.block_action(COORDINATOR, "update_delete", delete["value"])
    members.fake.wait_for("chat.delete")
    members.fake.wait_for("response_url", count=5)  # the coordinator is told, after the commit
    assert updates_in_db(members) == 0
    members.slack.block_action(MEMBER, "update_delete", delete["value"])  # a second click
    assert "no longer exists" in shown(members.fake.wait_for("response_url", count=6)[-1].args)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=400), search=st.booleans())
def test_any_text_gets_an_answer_and_never_an_error(members: Bot, text: str, search: bool) -> None:
    command_text = f"search {text}" if search else text
    before = len(members.fake.calls)
    replies, forms = (
        len(members.fake.calls_to("response_url")),
        len(members.fake.calls_to("views.open")),
    )
    assert members.slack.command("/update", command_text, user_id=MEMBER).status == 200
    if command_text.strip():
        members.fake.wait_for("response_url", count=replies + 1)
    else:
        members.fake.wait_for("views.open", count=forms + 1)
    answered = members.fake.calls[before:]
    assert not [c for c in answered if c.error], [(c.method, c.error) for c in answered]
    assert "Sorry, something went wrong" not in shown([c.args for c in answered])
