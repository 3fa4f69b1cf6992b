"""Opportunities end to end: signed requests in, the fake Slack out, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import Session, select

from bot.db import make_engine
from bot.fakeslack import FakeSlack
from bot.models import Opportunity, OpportunityInterest, Partnership
from bot.services.digest import build_digest
from bot.services.directory import Directory, Profile
from bot.services.gate import trusted
from bot.services.opportunities.service import Opportunities
from bot.services.opportunities.types import OpportunityInput, OpportunityView
from bot.slack.blocks.digest import digest_message
from bot.slack.blocks.opportunities import channel_post
from bot.slack.sender import Sender
from jobs.clock import run_job
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, job_context, replies_to, shown

LONDON = ZoneInfo("Europe/London")
CHANNEL = "#partnership-opportunities"


def today() -> date:
    return datetime.now(LONDON).date()


def typed(day: date) -> str:
    return f"{day:%-d/%-m/%Y}"


@pytest.fixture
def members(bot: Bot) -> Bot:
    """MEMBER works at Harbour Refugee Support, OTHER at New Roots Housing."""
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def rows(bot: Bot) -> list[Opportunity]:
    with Session(bot.engine) as session:
        return list(session.exec(select(Opportunity).order_by(Opportunity.id)).all())


def channel_messages(bot: Bot) -> list[dict]:
    return bot.fake.messages(CHANNEL)


def share(bot: Bot, text: str, user_id: str = MEMBER) -> dict:
    return bot.ask(text, user_id=user_id, command="/opportunity")


def test_one_line_posts_to_the_opportunities_channel_with_interest(members: Bot) -> None:
    closes = today() + timedelta(days=20)
    answer = share(
        members,
        f"training Trauma-informed practice closes {typed(closes)} https://example.org/tip",
    )
    assert "Shared in #partnership-opportunities" in shown(answer)
    assert {b["action_id"] for b in buttons(answer)} >= {"opportunity_edit", "opportunity_close"}
    (post,) = channel_messages(members)
    text = shown(post)
    assert "<https://example.org/tip|Trauma-informed practice>" in text
    assert "Harbour Refugee Support" in text and "0 interested" in text
    (row,) = rows(members)
    assert (row.kind, row.title, row.closes_on, row.link) == (
        "training", "Trauma-informed practice", closes, "https://example.org/tip",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("party Free cake", "Start with the kind"),
        ("funding Small grants closes 1/1/2020", "has passed"),
        ("funding Small grants closes someday", "couldn't read"),
        ("vacancy Caseworker ftp://example.org/job", "must start with http"),
        ("vacancy Caseworker javascript://alert(1)", "must start with http"),
        ("event Open day http://[::1", "can't be read"),
        ("event Open day https://partner.example/x?email=jo.bloggs@gmail.com", "email address"),
        ("event " + "x" * 151, "the limit is 150"),
        ("event", "Give it a title"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_posts_nothing(
    members: Bot, text: str, expected: str
) -> None:
    assert expected in shown(share(members, text))
    assert rows(members) == [] and channel_messages(members) == []


def test_a_member_without_an_organisation_is_told_to_join(bot: Bot) -> None:
    assert "/partners join" in shown(share(bot, "event Open day"))


def test_text_is_escaped_and_personal_data_is_held_back(members: Bot) -> None:
    answer = share(members, "event Drop-in <!channel> call 07700 900123")
    assert "personal data" in shown(answer) and "UK phone number" in shown(answer)
    assert rows(members) == []
    anyway = next(b for b in buttons(answer) if b["action_id"] == "opportunity_post_anyway")
    (posted,) = replies_to(
        members, lambda: members.slack.block_action(MEMBER, anyway["action_id"], anyway["value"])
    )
    assert "Shared in" in shown(posted)
    assert "<!channel>" not in shown(channel_messages(members)[0])  # pings nobody


def test_the_same_link_or_title_within_30_days_is_caught_with_a_way_to_post_anyway(
    members: Bot,
) -> None:
    share(members, "funding Winter hardship fund https://example.org/fund")
    again = share(members, "funding Another name https://www.example.org/fund/", user_id=OTHER)
    assert "Already shared by <@U0MEMBER>" in shown(again) and "Winter hardship fund" in shown(
        again
    )
    similar = share(members, "funding Winter hardship funds", user_id=OTHER)
    assert "Already shared" in shown(similar)
    anyway = next(b for b in buttons(similar) if b["action_id"] == "opportunity_post_anyway")
    click = lambda: members.slack.block_action(OTHER, anyway["action_id"], anyway["value"])  # noqa: E731
    (posted,) = replies_to(members, click)
    assert "Shared in" in shown(posted) and len(rows(members)) == 2
    with Session(members.engine) as session:  # a month later it is news again
        session.exec(
            update(Opportunity).values(created_at=Opportunity.created_at - timedelta(days=31))
        )
        session.commit()
    assert "Shared in" in shown(share(members, "funding Winter hardship fund", user_id=OTHER))


def test_interest_toggles_the_poster_sees_who_and_others_a_count(members: Bot) -> None:
    share(members, "event Partnership learning day")
    post = channel_messages(members)[0]
    interest = next(b for b in buttons(post) if b["action_id"] == "opportunity_interest")
    (noted,) = replies_to(
        members,
        lambda: members.slack.block_action(
            OTHER, "opportunity_interest", interest["value"], channel_id=CHANNEL,
            message_ts=post["ts"],
        ),
    )  # fmt: skip
    assert "Noted your interest" in shown(noted)
    members.fake.wait_for("chat.update")
    assert "1 interested" in shown(channel_messages(members)[0])
    (refused,) = replies_to(
        members, lambda: members.slack.block_action(OTHER, "opportunity_who", interest["value"])
    )
    assert "Only the person who shared it" in shown(refused)
    (who,) = replies_to(
        members, lambda: members.slack.block_action(MEMBER, "opportunity_who", interest["value"])
    )
    assert OTHER in shown(who)
    (removed,) = replies_to(
        members,
        lambda: members.slack.block_action(OTHER, "opportunity_interest", interest["value"]),
    )
    assert "no longer listed" in shown(removed)
    members.fake.wait_for("chat.update", count=2)
    assert "0 interested" in shown(channel_messages(members)[0])


def test_interest_clicked_twice_at_once_ends_as_two_toggles(
    loaded_engine: Engine, database_url: str, sender: Sender
) -> None:
    """Two clicks racing on separate connections: one adds, the other removes; never a twin row."""
    _join_members(loaded_engine)
    racing = make_engine(database_url, pool_size=4)
    service = Opportunities(racing, Sender(racing, sender.client))
    opportunity = _post(sender, "event Learning day")
    start = threading.Barrier(2)

    def click() -> bool:
        start.wait()
        return service.toggle_interest(OTHER, opportunity, _channel_post).interested

    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(click())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    racing.dispose()
    assert sorted(results) == [False, True]
    with Session(loaded_engine) as session:
        assert session.exec(select(func.count()).select_from(OpportunityInterest)).one() == 0


def test_places_left_count_down_with_interest(members: Bot) -> None:
    with Session(members.engine) as session:
        session.add(
            Opportunity(
                organisation_id=1, poster_id=MEMBER, kind="training", title=trusted("First aid"),
                places=2, channel=CHANNEL,
            )
        )  # fmt: skip
        session.commit()
    listed = members.ask("list training", command="/opportunity")
    assert "2 of 2 places left" in shown(listed)


def test_the_list_is_open_ones_closing_soonest_first_and_closed_on_request(members: Bot) -> None:
    for title, days in (("Later", 20), ("Sooner", 5), ("Whenever", None)):
        closes = f" closes {typed(today() + timedelta(days=days))}" if days else ""
        share(members, f"vacancy {title}{closes}")
    listed = shown(members.ask("list", command="/opportunity"))
    assert listed.index("Sooner") < listed.index("Later") < listed.index("Whenever")
    first = rows(members)[0]
    mine = members.ask("mine", command="/opportunity")
    close = next(
        b
        for b in buttons(mine)
        if b["action_id"] == "opportunity_close" and b["value"] == str(first.id)
    )
    (closed,) = replies_to(
        members, lambda: members.slack.block_action(MEMBER, "opportunity_close", close["value"])
    )
    assert "Closed" in shown(closed)
    assert "Later" not in shown(members.ask("list", command="/opportunity"))
    assert "Later" in shown(members.ask("list closed", command="/opportunity"))
    assert "isn't a kind" in shown(members.ask("list parties", command="/opportunity"))


def test_withdrawing_removes_the_channel_message_and_only_the_poster_or_coordinator_may(
    members: Bot,
) -> None:
    answer = share(members, "volunteering Befriender roles")
    withdraw = next(b for b in buttons(answer) if b["action_id"] == "opportunity_withdraw")
    (refused,) = replies_to(
        members,
        lambda: members.slack.block_action(OTHER, "opportunity_withdraw", withdraw["value"]),
    )
    assert "Only the person who shared it or a coordinator" in shown(refused)
    replies_to(
        members,
        lambda: members.slack.block_action(COORDINATOR, "opportunity_withdraw", withdraw["value"]),
    )
    members.fake.wait_for("chat.delete")
    assert channel_messages(members) == [] and rows(members)[0].status == "withdrawn"


def open_form(bot: Bot, user_id: str = MEMBER) -> dict:
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/opportunity", "", user_id=user_id)
    return bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]


def form_values(**fields: object) -> dict:
    values = {
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "event"}}},
        "title": {"value": {"type": "plain_text_input", "value": "Joint learning event"}},
        "description": {"value": {"type": "plain_text_input", "value": "All partners welcome"}},
        "link": {"value": {"type": "plain_text_input", "value": "https://example.org/event"}},
        "closes_on": {"value": {"type": "datepicker", "selected_date": None}},
        "event_on": {"value": {"type": "datepicker", "selected_date": None}},
        "places": {"value": {"type": "number_input", "value": "12"}},
    }
    for name, value in fields.items():
        element = values[name]["value"]
        key = next(k for k in ("selected_date", "value", "selected_option") if k in element)
        element[key] = value
    return values


def test_the_form_refuses_bad_fields_in_place_and_posts_good_ones(members: Bot) -> None:
    view = open_form(members)
    assert "On behalf of" not in shown(view)  # coordinators only
    for fields, field, expected in (
        ({"link": "javascript:alert(1)"}, "link", "http"),
        ({"closes_on": "2020-01-01"}, "closes_on", "has passed"),
        ({"places": "0"}, "places", "above 0"),
        ({"places": "-3"}, "places", "above 0"),
        ({"title": "x" * 151}, "title", "limit is 150"),
    ):
        reply = members.slack.view_submission(MEMBER, view, form_values(**fields))
        assert reply.json["response_action"] == "errors", fields
        assert expected in reply.json["errors"][field]
    assert rows(members) == []
    closes = (today() + timedelta(days=10)).isoformat()
    (posted,) = replies_to(
        members, lambda: members.slack.view_submission(MEMBER, view, form_values(closes_on=closes))
    )
    assert "Shared in" in shown(posted) and "12 of 12 places left" in shown(posted)


def test_a_duplicate_from_the_form_comes_back_with_a_box_to_post_anyway(members: Bot) -> None:
    share(members, "event Joint learning event")
    view = open_form(members, user_id=OTHER)
    reply = members.slack.view_submission(OTHER, view, form_values())
    assert reply.json["response_action"] == "update"
    again = reply.json["view"]
    assert "Already shared" in shown(again) and "Joint learning event" in shown(again)
    values = form_values() | {
        "anyway": {"value": {"type": "checkboxes", "selected_options": [{"value": "anyway"}]}}
    }
    (posted,) = replies_to(members, lambda: members.slack.view_submission(OTHER, again, values))
    assert "Shared in" in shown(posted) and len(rows(members)) == 2


def test_a_coordinator_shares_for_another_organisation(members: Bot) -> None:
    view = open_form(members, user_id=COORDINATOR)
    assert "On behalf of" in shown(view)
    values = form_values() | {
        "organisation": {"value": {"type": "static_select", "selected_option": {"value": "SPL"}}}
    }
    replies_to(members, lambda: members.slack.view_submission(COORDINATOR, view, values))
    assert "Safe Passage Legal Advice" in shown(channel_messages(members)[0])


def test_editing_changes_the_channel_message(members: Bot) -> None:
    answer = share(members, "training Benefits basics")
    edit = next(b for b in buttons(answer) if b["action_id"] == "opportunity_edit")
    members.slack.block_action(MEMBER, "opportunity_edit", edit["value"])
    view = members.fake.wait_for("views.open")[-1].response["view"]
    title = next(block for block in view["blocks"] if block["block_id"] == "title")
    assert title["element"]["initial_value"] == "Benefits basics"
    replies_to(
        members,
        lambda: members.slack.view_submission(
            MEMBER, view, form_values(title="Benefits basics, second run")
        ),
    )
    members.fake.wait_for("chat.update")
    assert "second run" in shown(channel_messages(members)[0])


def _privacy(bot: Bot, policy: str) -> None:
    with bot.engine.begin() as connection:
        connection.execute(update(Partnership).values(privacy_policy=policy))


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://partner.example/><!channel><https://evil.example/phish", "can't contain"),
        ("http://[::1", "can't be read"),
        ("https://partner.example/a|b", "can't contain"),
        ("mailto:jo@example.org", "must start with http"),
    ],
)
def test_a_link_slack_could_read_as_markup_is_refused_by_its_field(
    members: Bot, link: str, expected: str
) -> None:
    view = open_form(members)
    reply = members.slack.view_submission(MEMBER, view, form_values(link=link))
    assert reply.json["response_action"] == "errors"
    assert expected in reply.json["errors"]["link"]
    assert rows(members) == [] and channel_messages(members) == []


def test_a_link_is_rebuilt_so_nothing_in_it_reaches_slack_as_markup(members: Bot) -> None:
    view = open_form(members)
    link = "https://partner.example/events?a=1&b=2#top"
    replies_to(members, lambda: members.slack.view_submission(MEMBER, view, form_values(link=link)))
    post = shown(channel_messages(members)[0])
    assert "<https://partner.example/events?a=1&amp;b=2#top|Joint learning event>" in post
    assert "<!channel>" not in post and "<!here>" not in post


@pytest.mark.parametrize("policy", ["block", "warn"])
def test_editing_goes_through_the_privacy_guard(members: Bot, policy: str) -> None:
    _privacy(members, policy)
    answer = share(members, "training Benefits basics")
    edit = next(b for b in buttons(answer) if b["action_id"] == "opportunity_edit")
    members.slack.block_action(MEMBER, "opportunity_edit", edit["value"])
    view = members.fake.wait_for("views.open")[-1].response["view"]
    personal = "Call Jo on 07700 900123, NI QQ 12 34 56 C"
    reply = members.slack.view_submission(MEMBER, view, form_values(description=personal))
    assert reply.json["response_action"] == "update"
    again = reply.json["view"]
    assert "UK phone number" in shown(again) and "National Insurance number" in shown(again)
    assert "900123" not in shown(again)  # masked
    assert rows(members)[0].description == ""
    assert "07700" not in shown(channel_messages(members))
    boxes = [block["block_id"] for block in again["blocks"] if block["type"] == "input"]
    assert ("anyway" in boxes) == (policy == "warn")
    if policy == "warn":
        values = form_values(description=personal) | {
            "anyway": {"value": {"type": "checkboxes", "selected_options": [{"value": "anyway"}]}}
        }
        replies_to(members, lambda: members.slack.view_submission(MEMBER, again, values))
        assert rows(members)[0].description == personal


def test_post_anyway_clicked_twice_posts_once(members: Bot) -> None:
    answer = share(members, "event Drop-in, call 07700 900123")
    anyway = next(b for b in buttons(answer) if b["action_id"] == "opportunity_post_anyway")
    click = lambda: members.slack.block_action(MEMBER, anyway["action_id"], anyway["value"])  # noqa: E731
    threads = [threading.Thread(target=click) for _ in range(2)]
    first, second = replies_to(members, lambda: [t.start() for t in threads], count=2)
    for thread in threads:
        thread.join()
    said = shown(first) + shown(second)
    assert "Shared in" in said and "already posted" in said
    assert len(rows(members)) == 1 and len(channel_messages(members)) == 1


# The daily job -----------------------------------------------------------------------------------

EVENING = datetime(2026, 11, 23, 18, 0)


def _join_members(engine: Engine) -> None:
    for user_id, code in ((MEMBER, "HRS"), (OTHER, "NRH")):
        Directory(engine).join(user_id, code, lambda _, user_id=user_id: Profile(user_id))


def _channel_post(view: OpportunityView) -> dict:
    return channel_post(view, date(2026, 11, 20)).rendered()


def _post(sender: Sender, text: str, closes: date | None = None) -> int:
    """Shared by MEMBER on 20 November 2026 (as far as the closing-date check knows)."""
    kind, title = text.split(" ", 1)
    attempt = OpportunityInput(kind=kind, title=title, closes_on=closes)
    service = Opportunities(sender.engine, sender)
    return service.publish(MEMBER, attempt, date(2026, 11, 20), _channel_post).id


def test_reminders_once_three_days_before_and_closed_on_the_closing_date(
    loaded_engine: Engine, fake_slack: FakeSlack, sender: Sender
) -> None:
    _join_members(loaded_engine)
    service = Opportunities(loaded_engine, sender)
    closing = _post(sender, "funding Small grants", date(2026, 11, 26))
    later = _post(sender, "vacancy Caseworker", date(2026, 12, 20))
    service.toggle_interest(OTHER, closing, _channel_post)
    service.toggle_interest(OTHER, later, _channel_post)
    fake_slack.reset()
    fake_slack.add_user(OTHER, "Olu Other")
    jobs = job_context(loaded_engine, fake_slack)
    for _ in range(3):
        summary = run_job("opportunity-reminders", jobs, EVENING)
    assert "already done" in summary
    reminders = fake_slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in reminders] == [OTHER]
    assert "Small grants" in shown(reminders[0].args)
    run_job("opportunity-reminders", jobs, datetime(2026, 11, 26, 18, 0))
    with Session(loaded_engine) as session:
        assert session.get(Opportunity, closing).status == "closed"
        assert session.get(Opportunity, later).status == "open"
    (marked,) = fake_slack.calls_to("chat.update")
    assert "Closed" in shown(marked.args)


def test_the_digest_lists_new_and_closing_soon_opportunities(
    loaded_engine: Engine, sender: Sender
) -> None:
    _join_members(loaded_engine)
    _post(sender, "training New course", date(2026, 11, 27))
    with Session(loaded_engine) as session:
        week = datetime(2026, 11, 20, 12, tzinfo=LONDON)
        session.exec(update(Opportunity).values(created_at=week))
        session.commit()
    monday = datetime(2026, 11, 23, 9, tzinfo=LONDON)
    digest = build_digest(loaded_engine, monday - timedelta(weeks=1), monday)
    assert not digest.empty  # no updates, but opportunities are news
    text = shown([block.to_dict() for block in digest_message(digest, LONDON).blocks])
    assert "New opportunities" in text and "Closing in the next seven days" in text
    assert "New course" in text
