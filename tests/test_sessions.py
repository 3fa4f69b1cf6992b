"""Sessions and their follow-up, end to end and with the clock driven through a fortnight."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.fakeslack import FakeSlack
from bot.models import Commitment, PartnershipSession, PartnerUpdate, Rsvp
from bot.services.directory import Directory, Profile
from bot.services.outbox import no_notices
from bot.services.sessions import CommitmentInput, Due, SessionInput, Sessions
from jobs import nudges
from jobs.clock import run_job
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, initial, job_context, privacy_policy, replies_to, shown, ticked

LONDON = ZoneInfo("Europe/London")
NEW_YORK = "America/New_York"


@pytest.fixture
def members(bot: Bot) -> Bot:
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def commitments(engine: Engine) -> list[Commitment]:
    with Session(engine) as session:
        return list(session.exec(select(Commitment).order_by(Commitment.id)).all())


def open_form(bot: Bot, user_id: str = COORDINATOR) -> dict:
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/session", "new", user_id=user_id)
    return bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]


def form_values(held_on: str, **rows: tuple[str | None, str, str | None]) -> dict:
    values = {
        "title": {"value": {"type": "plain_text_input", "value": "Winter reflective session"}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "reflective"}}},
        "held_on": {"value": {"type": "datepicker", "selected_date": held_on}},
        "organisations": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [{"value": "HRS"}, {"value": "NRH"}],
            }
        },
        "next_on": {"value": {"type": "datepicker", "selected_date": None}},
        "next_place": {"value": {"type": "plain_text_input", "value": "Harbour, 14 Quay Street"}},
    }
    for row, (owner, what, due) in rows.items():
        number = row.removeprefix("row")
        values[f"owner_{number}"] = {"value": {"type": "users_select", "selected_user": owner}}
        values[f"what_{number}"] = {"value": {"type": "plain_text_input", "value": what}}
        values[f"due_{number}"] = {"value": {"type": "datepicker", "selected_date": due}}
    return values


def test_only_coordinators_record_and_the_form_checks_each_commitment(members: Bot) -> None:
    assert "Only the partnership's coordinators" in shown(members.ask("new", command="/session"))
    view = open_form(members)
    today = datetime.now(LONDON).date()
    bad = form_values(today.isoformat(), row1=(None, "Share the job description", None))
    reply = members.slack.view_submission(COORDINATOR, view, bad)
    assert reply.json["errors"] == {"owner_1": "Who made this commitment?"}
    future = form_values((today + timedelta(days=3)).isoformat())
    assert (
        "once it has happened"
        in members.slack.view_submission(COORDINATOR, view, future).json["errors"]["held_on"]
    )
    good = form_values(
        today.isoformat(),
        row1=(MEMBER, "Share the new job description with managers", None),
        row2=(OTHER, "Prototype the service", (today + timedelta(days=14)).isoformat()),
    )
    (recorded,) = replies_to(
        members, lambda: members.slack.view_submission(COORDINATOR, view, good)
    )
    text = shown(recorded)
    assert "Recorded S1" in text and "Prototype the service" in text
    assert "Harbour Refugee Support, New Roots Housing" in text
    assert [c.owner_id for c in commitments(members.engine)] == [MEMBER, OTHER]


def test_the_form_offers_the_files_people_reached_by_email_as_owners(members: Bot) -> None:
    view = open_form(members)
    choice = next(b for b in view["blocks"] if b.get("block_id") == "by_email_1")
    offered = [option["value"] for option in choice["element"]["options"]]
    assert offered == ["Fiona Reid", "Jamal Hussain"]  # Slack's key workers are in Slack's list
    today = datetime.now(LONDON).date().isoformat()
    values = form_values(today, row1=(None, "Book the GP registration talk", None))
    picked = {"value": {"type": "static_select", "selected_option": {"value": "Fiona Reid"}}}
    both = form_values(today, row1=(MEMBER, "Book the GP registration talk", None))
    reply = members.slack.view_submission(COORDINATOR, view, {**both, "by_email_1": picked})
    assert reply.json["errors"] == {
        "by_email_1": "Choose someone on Slack or someone by email, not both."
    }
    (recorded,) = replies_to(
        members,
        lambda: members.slack.view_submission(COORDINATOR, view, {**values, "by_email_1": picked}),
    )
    assert "Fiona Reid (by email)" in shown(recorded)
    (row,) = commitments(members.engine)
    assert (row.owner_id, row.owner_person_id is not None) == ("", True)


def test_members_add_their_own_commitments_and_see_and_answer_them(members: Bot) -> None:
    assert "No session has been recorded yet" in shown(
        members.ask("commit me write the guide", command="/session")
    )
    _record(members.engine, date.today() - timedelta(days=1))
    by = datetime.now(LONDON).date() + timedelta(days=10)
    added = shown(members.ask(f"commit me write the guide by {by:%-d/%-m/%Y}", command="/session"))
    assert "Added to *Winter session*" in added and "write the guide" in added
    assert "has passed" in shown(members.ask("commit me something by 1/1/2020", command="/session"))
    assert "Only the partnership's coordinators" in shown(
        members.ask("commit @olu do something", command="/session")
    )
    assert "Say whose commitment" in shown(members.ask("commit write it", command="/session"))
    mine = members.ask("mine", command="/session")
    done = next(b for b in buttons(mine) if b["action_id"].endswith(":done"))
    first, second = replies_to(
        members,
        lambda: [
            members.slack.block_action(MEMBER, done["action_id"], done["value"]) for _ in "ab"
        ],
        count=2,
    )
    texts = shown(first) + shown(second)
    assert "is now *done*" in texts and "was already *done*" in texts
    still_open = shown(members.ask("mine", command="/session"))
    # the one with a date came first, and is done; the undated one is still open
    assert "write the guide" not in still_open and "Share the job description" in still_open
    listed = shown(members.ask("list", command="/session"))
    assert "S1 · Winter session" in listed
    assert "write the guide" in shown(members.ask("show S1", command="/session"))
    assert "There is no session S9" in shown(members.ask("show S9", command="/session"))


def test_need_help_asks_what_would_help_and_tells_the_coordinators(members: Bot) -> None:
    _record(members.engine, date.today() - timedelta(days=1), owner=MEMBER)
    mine = members.ask("mine", command="/session")
    need_help = next(b for b in buttons(mine) if b["action_id"].endswith(":help"))
    members.slack.block_action(MEMBER, need_help["action_id"], need_help["value"])
    form = members.fake.wait_for("views.open")[-1].response["view"]
    note = {"note": {"value": {"type": "plain_text_input", "value": "Need a template"}}}
    (answered,) = replies_to(members, lambda: members.slack.view_submission(MEMBER, form, note))
    assert "needs help" in shown(answered) and "coordinators have been told" in shown(answered)
    told = members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert "needs help" in shown(told[0].args) and "Need a template" in shown(told[0].args)


def test_a_reflection_can_be_shared_as_an_update_through_the_privacy_guard(members: Bot) -> None:
    members.slack.block_action(MEMBER, "session_reflect", "1")
    form = members.fake.wait_for("views.open")[-1].response["view"]
    answer = {"answer": {"value": {"type": "plain_text_input", "value": "We now meet monthly"}}}
    members.slack.view_submission(MEMBER, form, answer)
    dm = members.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MEMBER and "reflection" in c.args["text"]
    )[0]
    share = next(b for b in buttons(dm.args) if b["action_id"] == "session_share_reflection")

    def click() -> object:
        where = {"channel_id": dm.response["channel"], "message_ts": dm.response["ts"]}
        return members.slack.block_action(MEMBER, share["action_id"], share["value"], **where)

    (posted,) = replies_to(members, click)
    assert "Posted to" in shown(posted)
    (again,) = replies_to(members, click)  # a second click on the same message
    assert "already posted" in shown(again)
    with Session(members.engine) as session:
        assert session.exec(select(PartnerUpdate.text)).all() == ["We now meet monthly"]


# The follow-up job across a fortnight ------------------------------------------------------------

WEDNESDAY_23_DEC = date(2026, 12, 23)  # Christmas Friday, Boxing Day observed Monday 28


def _record(
    engine: Engine,
    held_on: date,
    owner: str = MEMBER,
    due_on: date | None = None,
    next_on: date | None = None,
    more: tuple[CommitmentInput, ...] = (),
) -> None:
    entry = SessionInput(
        title="Winter session", kind="reflective", held_on=held_on, organisations=("HRS", "NRH"),
        next_on=next_on, next_place="Harbour",
        commitments=(CommitmentInput(owner, "Share the job description", due_on), *more),
    )  # fmt: skip
    profiles = {MEMBER: Profile("Sam", tz="Europe/London"), OTHER: Profile("Olu", tz=NEW_YORK)}
    Sessions(engine, LONDON).record(
        COORDINATOR, entry, held_on, lambda user_id: profiles.get(user_id, Profile(user_id))
    )


def test_nudges_across_a_fortnight_with_a_bank_holiday_and_two_time_zones(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    for user_id, code, zone in ((MEMBER, "HRS", "Europe/London"), (OTHER, "NRH", NEW_YORK)):
        Directory(loaded_engine).join(user_id, code, lambda _, u=user_id, z=zone: Profile(u, tz=z))
    due = date(2026, 12, 30)
    _record(
        loaded_engine, WEDNESDAY_23_DEC, MEMBER, due,
        next_on=date(2027, 1, 14), more=(CommitmentInput(OTHER, "Prototype the service", due),),
    )  # fmt: skip
    jobs = job_context(loaded_engine, fake_slack)
    sent: list[tuple[datetime, str, str]] = []

    def run_at(moment: datetime) -> None:
        before = len(fake_slack.calls_to("chat.postMessage"))
        nudges.run.run(jobs, moment)
        for call in fake_slack.calls_to("chat.postMessage")[before:]:
            sent.append((moment, call.args["channel"], shown(call.args)))

    start = datetime(2026, 12, 23, 0, 0, tzinfo=UTC)
    moment = start
    while moment < datetime(2027, 1, 13, tzinfo=UTC):
        step = timedelta(minutes=5) if moment.date() == date(2026, 12, 29) else timedelta(hours=1)
        if moment == datetime(2026, 12, 31, 12, tzinfo=UTC):  # OTHER finishes theirs
            other = next(c for c in commitments(loaded_engine) if c.owner_id == OTHER)
            Sessions(loaded_engine, LONDON).set_status(OTHER, other.id, "done", notices=no_notices)
        run_at(moment)
        moment += step

    def to(person: str) -> list[tuple[datetime, str]]:
        return [(when, text) for when, channel, text in sent if channel == person]

    member = to(MEMBER)
    other_dms = to(OTHER)
    commitment_dms = [(w, t) for w, t in member if "commitment" in t.lower()]
    # The follow-up two working days after Wed 23 Dec, skipping Christmas and Boxing Day
    # (observed Mon 28): Tue 29 at 09:00 London; the due date Wed 30; a week later Wed 6 Jan.
    assert [w for w, _ in commitment_dms] == [
        datetime(2026, 12, 29, 9, tzinfo=UTC),
        datetime(2026, 12, 30, 9, tzinfo=UTC),
        datetime(2027, 1, 6, 9, tzinfo=UTC),
    ]
    assert "Your commitments from *Winter session*" in commitment_dms[0][1]
    other_commitments = [w for w, t in other_dms if "commitment" in t.lower()]
    # New York is five hours behind: 09:00 there is 14:00 UTC; done on 31 Dec, so no more.
    assert other_commitments == [
        datetime(2026, 12, 29, 14, tzinfo=UTC),
        datetime(2026, 12, 30, 14, tzinfo=UTC),
    ]
    with Session(loaded_engine) as session:
        assert [c.nudges for c in session.exec(select(Commitment).order_by(Commitment.id))] == [
            3,
            2,
        ]
    # Invitations to the session of Thu 14 Jan: from Thu 7 Jan 09:00 London, once each;
    # the reminder (and the coordinators' summary) from Tue 12 Jan to those yet to answer.
    invitations = [(w, c) for w, c, t in sent if "You're invited" in t]
    assert {c for _, c in invitations} == {MEMBER, OTHER}
    assert {w for w, _ in invitations} == {datetime(2027, 1, 7, 9, tzinfo=UTC)}
    reminders = [(w, c) for w, c, t in sent if "Reminder — will you come?" in t]
    assert {c for _, c in reminders} == {MEMBER, OTHER}
    summaries = [c for _, c, t in sent if "Before the next session" in t]
    assert COORDINATOR in summaries and summaries.count(COORDINATOR) == 1
    assert all(w.weekday() < 5 for w, _, _ in sent)
    assert not [w for w, _, _ in sent if w.date() in (date(2026, 12, 25), date(2026, 12, 28))]


def test_rsvps_are_counted_by_organisation_and_a_second_click_changes_nothing(
    members: Bot,
) -> None:
    next_on = datetime.now(LONDON).date() + timedelta(days=5)
    _record(members.engine, date.today() - timedelta(days=1), next_on=next_on)
    value = '{"session": 1, "answer": "coming"}'
    first, second = replies_to(
        members,
        lambda: [members.slack.block_action(MEMBER, "session_rsvp:1:coming", value) for _ in "ab"],
        count=2,
    )
    assert "Noted: *coming*" in shown(first) + shown(second)
    assert "Already noted" in shown(first) + shown(second)
    (changed,) = replies_to(
        members,
        lambda: members.slack.block_action(
            OTHER, "session_rsvp:1:cant", '{"session": 1, "answer": "cant"}'
        ),
    )
    assert "can't make it" in shown(changed)
    with Session(members.engine) as session:
        assert sorted(session.exec(select(Rsvp.member_id, Rsvp.answer)).all()) == [
            (MEMBER, "coming"), (OTHER, "cant"),
        ]  # fmt: skip
    service = Sessions(members.engine, LONDON)
    with Session(members.engine) as session:
        report = service.summary(session, Due("next-1", "summary", 1))
    assert report.answers == {
        "Harbour Refugee Support": {"coming": 1},
        "New Roots Housing": {"cant": 1},
    }
    assert "Safe Passage Legal Advice" in report.silent


def test_the_clock_runs_the_follow_ups_by_name(
    loaded_engine: Engine, fake_slack: FakeSlack
) -> None:
    summary = run_job(
        "session-followups", job_context(loaded_engine, fake_slack), datetime(2026, 12, 29, 9, 2)
    )
    assert summary == "nothing due"


# The privacy guard on sessions, commitments and notes ---------------------------------------------

PHONE = "07700 900123"


def _stored(engine: Engine) -> tuple[list[str], list[str]]:
    with Session(engine) as session:
        titles = list(session.exec(select(PartnershipSession.title)).all())
        whats = list(session.exec(select(Commitment.what).order_by(Commitment.id)).all())
        return titles, whats


def test_the_session_form_holds_back_personal_data_and_records_it_only_knowingly(
    members: Bot,
) -> None:
    view = open_form(members)
    today = datetime.now(LONDON).date()
    due = (today + timedelta(days=7)).isoformat()
    values = form_values(
        today.isoformat(),
        row1=(MEMBER, "Share the job description", None),
        row3=(None, f"Call Ahmed on {PHONE} about housing", due),  # row 2 left empty
    )
    # each problem by its own row, not by its place among the filled rows
    missing = members.slack.view_submission(COORDINATOR, view, values).json
    assert missing["errors"] == {"owner_3": "Who made this commitment?"}
    values["owner_3"]["value"]["selected_user"] = OTHER
    values["title"]["value"]["value"] = "Review with fatima.k@gmail.com"
    # warn: the form again as typed, both fields marked, with the box to save anyway
    again = members.slack.view_submission(COORDINATOR, view, values).json
    assert again["response_action"] == "update"
    form = again["view"]
    ids = [block.get("block_id") for block in form["blocks"]]
    assert "anyway" in ids
    assert "email address" in shown(form["blocks"][ids.index("title") + 1])
    assert "07••• •••123" in shown(form["blocks"][ids.index("what_3") + 1])
    assert "900123" not in shown(form) and "fatima" not in shown(form)
    assert initial(form, "title") == "Review with fatima.k@gmail.com"
    assert initial(form, "what_3") == f"Call Ahmed on {PHONE} about housing"
    assert (initial(form, "owner_3"), initial(form, "due_3")) == (OTHER, due)
    assert (initial(form, "owner_1"), initial(form, "what_2")) == (MEMBER, None)
    assert initial(form, "next_place") == "Harbour, 14 Quay Street"
    came = next(b for b in form["blocks"] if b.get("block_id") == "organisations")
    assert [o["value"] for o in came["element"]["initial_options"]] == ["HRS", "NRH"]
    assert json.loads(form["private_metadata"]) == json.loads(view["private_metadata"])
    assert _stored(members.engine) == ([], [])
    # submitted again unticked: the errors by the fields, within Slack's length
    refused = members.slack.view_submission(COORDINATOR, form, values).json
    assert refused["response_action"] == "errors"
    assert set(refused["errors"]) == {"title", "what_3"}
    assert all(len(error) <= 150 for error in refused["errors"].values())
    assert "UK phone number found: 07••• •••123" in refused["errors"]["what_3"]
    assert _stored(members.engine) == ([], [])
    # ticked: recorded, as typed
    (recorded,) = replies_to(
        members, lambda: members.slack.view_submission(COORDINATOR, form, ticked(values))
    )
    assert "Recorded S1" in shown(recorded)
    assert _stored(members.engine) == (
        ["Review with fatima.k@gmail.com"],
        ["Share the job description", f"Call Ahmed on {PHONE} about housing"],
    )


def test_where_the_policy_is_block_the_session_form_never_records_personal_data(
    members: Bot,
) -> None:
    privacy_policy(members, "block")
    view = open_form(members)
    values = form_values(
        datetime.now(LONDON).date().isoformat(),
        row1=(MEMBER, "Share the job description", None),
        row2=(OTHER, "Chase HO ref K7654321/2 for the family", None),
    )
    for attempt in (values, ticked(values)):  # a forged "anyway" changes nothing
        refused = members.slack.view_submission(COORDINATOR, view, attempt).json
        assert refused["response_action"] == "errors" and list(refused["errors"]) == ["what_2"]
        assert "Home Office reference found" in refused["errors"]["what_2"]
        assert "Never saved" in refused["errors"]["what_2"]
    assert _stored(members.engine) == ([], [])


def test_a_commitment_command_that_looks_personal_is_refused_privately_and_not_recorded(
    members: Bot,
) -> None:
    _record(members.engine, date.today() - timedelta(days=1))
    before = _stored(members.engine)
    for policy in ("warn", "block"):
        privacy_policy(members, policy)
        for user_id, text in (
            (MEMBER, f"commit me ring her on {PHONE} about the flat by 1/12/2099"),
            (COORDINATOR, "commit @olu send the form to fatima.k@gmail.com"),
        ):
            answer = members.ask(text, user_id=user_id, command="/session")
            said = shown(answer)
            assert "Not recorded" in said and "Post anyway" not in said
            assert "07••• •••123" in said or "f•••@g•••.com" in said
            assert "900123" not in said and "fatima" not in said
            assert "one person" in said  # why it matters
            assert "/session commit me refer the family" in said  # how to say it instead
            assert not buttons(answer)
    assert _stored(members.engine) == before


def test_a_need_help_note_that_looks_personal_reaches_no_coordinator_unless_sent_knowingly(
    members: Bot,
) -> None:
    _record(members.engine, date.today() - timedelta(days=1), owner=MEMBER)
    mine = members.ask("mine", command="/session")
    need_help = next(b for b in buttons(mine) if b["action_id"].endswith(":help"))
    members.slack.block_action(MEMBER, need_help["action_id"], need_help["value"])
    form = members.fake.wait_for("views.open")[-1].response["view"]
    typed = "Her NI is QQ 12 34 56 C, who can help with the claim?"
    note = {"note": {"value": {"type": "plain_text_input", "value": typed}}}
    privacy_policy(members, "block")
    refused = members.slack.view_submission(MEMBER, form, ticked(note)).json
    assert refused["response_action"] == "errors"
    assert "National Insurance number found" in refused["errors"]["note"]
    privacy_policy(members, "warn")
    again = members.slack.view_submission(MEMBER, form, note).json
    assert again["response_action"] == "update"
    held = again["view"]
    assert initial(held, "note") == typed
    assert "anyway" in [block.get("block_id") for block in held["blocks"]]
    assert "12 34 56" not in shown(held)
    unticked = members.slack.view_submission(MEMBER, held, note).json
    assert "Tick the box" in unticked["errors"]["note"]
    assert [c.status for c in commitments(members.engine)] == ["open"]
    dms = members.fake.calls_to("chat.postMessage")
    assert not [call for call in dms if call.args["channel"] == COORDINATOR]
    (answered,) = replies_to(
        members, lambda: members.slack.view_submission(MEMBER, held, ticked(note))
    )
    assert "coordinators have been told" in shown(answered)
    told = members.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert typed in shown(told[0].args)
    assert [(c.status, c.note) for c in commitments(members.engine)] == [("help", typed)]


def test_a_reflection_that_looks_personal_is_held_as_an_update_to_edit_or_post_anyway(
    members: Bot,
) -> None:
    members.slack.block_action(MEMBER, "session_reflect", "1")
    form = members.fake.wait_for("views.open")[-1].response["view"]
    typed = f"Met the family; dad's mobile is {PHONE}"
    answer = {"answer": {"value": {"type": "plain_text_input", "value": typed}}}
    members.slack.view_submission(MEMBER, form, answer)
    dm = members.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == MEMBER and "reflection" in c.args["text"]
    )[0]
    share = next(b for b in buttons(dm.args) if b["action_id"] == "session_share_reflection")

    def shared() -> dict:
        (reply,) = replies_to(
            members,
            lambda: members.slack.block_action(MEMBER, share["action_id"], share["value"]),
        )
        return reply

    held = shared()
    assert "Not posted yet" in shown(held) and "07••• •••123" in shown(held)
    assert "900123" not in shown(held)
    offered = {b["action_id"]: b["value"] for b in buttons(held)}
    assert set(offered) == {"update_draft_edit", "update_post_anyway"}
    with Session(members.engine) as session:
        assert session.exec(select(PartnerUpdate)).all() == []
    # Edit my update: the update form, with the text to change
    members.slack.block_action(MEMBER, "update_draft_edit", offered["update_draft_edit"])
    edit = members.fake.wait_for("views.open", count=2)[-1].response["view"]
    assert initial(edit, "text") == typed
    # Post anyway: posted, once
    (posted,) = replies_to(
        members,
        lambda: members.slack.block_action(
            MEMBER, "update_post_anyway", offered["update_post_anyway"]
        ),
    )
    assert "Posted to" in shown(posted)
    with Session(members.engine) as session:
        assert session.exec(select(PartnerUpdate.text)).all() == [typed]
    # where the policy is block, no Post anyway
    privacy_policy(members, "block")
    blocked = shared()
    assert "Not posted yet" in shown(blocked)
    assert [b["action_id"] for b in buttons(blocked)] == ["update_draft_edit"]
    with Session(members.engine) as session:
        assert session.exec(select(PartnerUpdate.text)).all() == [typed]
