"""/partners end to end: signed requests in, replies read back from the fake Slack."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import KeyWorker, Member, Organisation
from bot.services.directory import Directory, MemberSummary
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, initial, privacy_policy, shown, ticked


def member(bot: Bot, user_id: str) -> Member | None:
    with Session(bot.engine) as session:
        return session.exec(select(Member).where(Member.slack_user_id == user_id)).first()


def organisation_of(bot: Bot, user_id: str) -> str | None:
    with Session(bot.engine) as session:
        row = session.exec(
            select(Organisation.code).join(Member).where(Member.slack_user_id == user_id)
        ).first()
        return row


def test_help_lists_every_command_with_an_example(bot: Bot) -> None:
    for text in ("", "help"):
        reply = shown(bot.ask(text))
        for example in (
            "/partners join",
            "/partners orgs",
            "/partners org NRH",
            "/partners whoami",
        ):
            assert example in reply
        assert "/partners coordinator add" in reply
        assert "/update" in reply and "/hotdesk" in reply


def test_join_by_code_caches_the_profile_from_users_info(bot: Bot) -> None:
    reply = shown(bot.ask("join hrs"))
    assert "You've joined *Harbour Refugee Support*" in reply
    assert organisation_of(bot, MEMBER) == "HRS"
    joined = member(bot, MEMBER)
    assert joined is not None
    assert (joined.name, joined.tz) == ("Sam Member", "Europe/London")
    assert bot.fake.calls_to("users.info")[0].args["user"] == MEMBER

    bot.ask("whoami")  # the cached profile is used: no second users.info
    assert len(bot.fake.calls_to("users.info")) == 1


def test_join_forgives_case_typos_and_partial_names(bot: Bot) -> None:
    for query, code in (
        ("Safe Passage Legal Advice", "SPL"),
        ("harbor refugee", "HRS"),
        ("northside", "NCL"),
        ("new roots", "NRH"),
        ("KINSHIP youth", "KYT"),
    ):
        reply = shown(bot.ask(f"join {query}"))
        assert "joined" in reply, (query, reply)
        assert organisation_of(bot, MEMBER) == code


def test_joining_another_organisation_moves_the_member_and_says_so(bot: Bot) -> None:
    bot.ask("join HRS")
    reply = shown(bot.ask("join NRH"))
    assert "joined *New Roots Housing*" in reply
    assert "left *Harbour Refugee Support*" in reply
    assert organisation_of(bot, MEMBER) == "NRH"
    assert "already in" in shown(bot.ask("join new roots housing"))


def test_unknown_organisation_offers_the_closest_matches_as_buttons(bot: Bot) -> None:
    answer = bot.ask("join Bridges Health Acces Scotland Trust")
    text = shown(answer)
    assert "No organisation matches" in text
    offered = [button["value"] for button in buttons(answer)]
    assert "BHA" in offered
    assert organisation_of(bot, MEMBER) is None

    nothing = shown(bot.ask("join zzzzqqq"))
    assert "No organisation matches “zzzzqqq”" in nothing and "/partners orgs" in nothing


def test_choosing_a_suggested_organisation_joins_it_and_a_double_click_is_harmless(
    bot: Bot,
) -> None:
    answer = bot.ask("join bridges health access trust")
    button = next(b for b in buttons(answer) if b["value"] == "BHA")
    for _ in range(2):
        reply = bot.slack.block_action(MEMBER, button["action_id"], button["value"])
        assert reply.status == 200
    clicks = " ".join(shown(c.args) for c in bot.fake.wait_for("response_url", count=3)[1:])
    assert "joined *Bridges Health Access*" in clicks and "already in" in clicks  # either order
    assert organisation_of(bot, MEMBER) == "BHA"


def test_orgs_lists_the_directory_with_coordinators(bot: Bot) -> None:
    answer = bot.ask("orgs")
    text = shown(answer)
    for name in ("Harbour Refugee Support", "Safe Passage Legal Advice", "Kinship Youth Trust"):
        assert name in text
    assert "offers hot desks" in text
    assert f"<@{COORDINATOR}>" in text
    assert "Dami Okafor (by email)" in text  # a coordinator the file reaches by email alone
    assert {b["value"] for b in buttons(answer)} >= {"HRS", "SPL", "NCL", "NRH", "BHA", "KYT"}


def test_org_shows_what_it_does_key_worker_desks_protocol_and_members(bot: Bot) -> None:
    bot.ask("join NCL", user_id=OTHER)
    answer = bot.ask("org northside care leavers")
    text = shown(answer)
    assert "Northside Care Leavers Project" in text
    assert "Throughcare and aftercare" in text
    assert "<@U0000KIRSTY>" in text and "Jamal Hussain" in text
    assert "3 desks on Mon, Tue, Wed, Thu, Fri" in text and "approval" in text
    assert "PVG/DBS check" in text
    assert f"<@{OTHER}>" in text
    assert [b["value"] for b in buttons(answer)] == ["NCL"]  # the Join button


def test_whoami_reports_organisation_and_roles(bot: Bot) -> None:
    assert "none yet" in shown(bot.ask("whoami"))
    bot.ask("join HRS", user_id="U0000AMINA1")
    text = shown(bot.ask("whoami", user_id="U0000AMINA1"))
    assert "Harbour Refugee Support" in text and "Key worker for" in text
    assert "coordinator" in shown(bot.ask("whoami", user_id=COORDINATOR))


def test_only_coordinators_change_the_directory(bot: Bot) -> None:
    for text in ("org add TST Test Org", "org edit HRS", "coordinator add @olu"):
        reply = shown(bot.ask(text, user_id=MEMBER))
        assert "Only the partnership's coordinators can" in reply, text
    assert not bot.fake.calls_to("views.open")
    with Session(bot.engine) as session:
        assert session.exec(select(Organisation).where(Organisation.code == "TST")).first() is None
    assert not (member(bot, OTHER) and member(bot, OTHER).is_coordinator)


def test_a_coordinator_adds_a_coordinator_and_an_organisation(bot: Bot) -> None:
    assert "is now a coordinator" in shown(bot.ask("coordinator add @olu", COORDINATOR))
    assert "already a coordinator" in shown(bot.ask(f"coordinator add @{OTHER}", COORDINATOR))
    reply = shown(bot.ask("org add GAP Govan Asylum Project", user_id=OTHER))
    assert "Added *Govan Asylum Project* (GAP)" in reply
    assert "already uses" in shown(bot.ask("org add HRS Another Harbour", user_id=OTHER))
    assert "can't be a short code" in shown(bot.ask("org add 9! Bad Code", user_id=OTHER))
    assert "Govan Asylum Project" in shown(bot.ask("org gap"))


def test_a_coordinator_edits_an_organisation_in_a_form(bot: Bot) -> None:
    bot.slack.command("/partners", "org edit harbour", user_id=COORDINATOR)
    opened = bot.fake.wait_for("views.open")[0].args["view"]
    assert opened["private_metadata"] == "HRS"
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Harbour Refugee Support"}},
        "description": {"value": {"type": "plain_text_input", "value": "Advice & <casework>"}},
        "address": {"value": {"type": "plain_text_input", "value": "1 New Street"}},
        "protocol": {"value": {"type": "plain_text_input", "value": "Sign in."}},
        "key_workers": {
            "value": {"type": "multi_users_select", "selected_users": ["U0000AMINA1", OTHER]}
        },
    }
    reply = bot.slack.view_submission(COORDINATOR, opened, values)
    assert reply.status == 200 and not reply.body  # the form closes
    confirmation = bot.fake.wait_for("chat.postMessage")[0].args
    assert confirmation["channel"] == COORDINATOR
    assert "Saved the directory entry" in shown(confirmation)
    with Session(bot.engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        assert harbour.address == "1 New Street"
        workers = session.exec(
            select(KeyWorker.slack_user_id).where(KeyWorker.organisation_id == harbour.id)
        ).all()
        assert sorted(workers) == sorted(["U0000AMINA1", OTHER])
    assert "Advice &amp; &lt;casework&gt;" in shown(bot.ask("org HRS"))  # user text escaped


def test_an_edit_that_clashes_shows_the_error_in_the_form(bot: Bot) -> None:
    bot.slack.command("/partners", "org edit HRS", user_id=COORDINATOR)
    opened = bot.fake.wait_for("views.open")[0].args["view"]
    values = {"name": {"value": {"type": "plain_text_input", "value": "New Roots Housing"}}}
    reply = bot.slack.view_submission(COORDINATOR, opened, values)
    assert reply.status == 200
    assert reply.json["response_action"] == "errors"
    assert "already uses" in reply.json["errors"]["name"]


def test_unknown_subcommands_and_missing_arguments_get_a_pointer_to_help(bot: Bot) -> None:
    assert "isn't a command I know" in shown(bot.ask("frobnicate"))
    assert "Which organisation?" in shown(bot.ask("join"))
    assert "@mention" in shown(bot.ask("coordinator add nobody", user_id=COORDINATOR))


# The privacy guard on the directory ---------------------------------------------------------------


def block_ids(view: dict) -> list[str]:
    return [block.get("block_id", "") for block in view["blocks"]]


def _description(bot: Bot, code: str) -> tuple[str, str]:
    with Session(bot.engine) as session:
        row = session.exec(select(Organisation).where(Organisation.code == code)).one()
        return row.description, row.visitor_protocol


def test_an_edit_that_looks_personal_is_held_back_and_saved_only_knowingly(bot: Bot) -> None:
    before = _description(bot, "HRS")
    bot.slack.command("/partners", "org edit HRS", user_id=COORDINATOR)
    opened = bot.fake.wait_for("views.open")[0].response["view"]
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Harbour Refugee Support"}},
        "description": {
            "value": {"type": "plain_text_input", "value": "Casework; ask Ahmed on 07700 900123"}
        },
        "address": {"value": {"type": "plain_text_input", "value": "14 Quay Street, G42 8XY"}},
        "protocol": {"value": {"type": "plain_text_input", "value": "Sign in at reception."}},
        "key_workers": {"value": {"type": "multi_users_select", "selected_users": [OTHER]}},
    }
    # warn: the form again, as typed, the field marked, and the box to save it anyway
    again = bot.slack.view_submission(COORDINATOR, opened, values).json
    assert again["response_action"] == "update"
    form = again["view"]
    assert "anyway" in block_ids(form) and form["private_metadata"] == "HRS"
    note = form["blocks"][block_ids(form).index("description") + 1]
    assert "UK phone number" in shown(note) and "07••• •••123" in shown(note)
    assert "900123" not in shown(form)  # what the form says shows it masked
    assert initial(form, "description") == "Casework; ask Ahmed on 07700 900123"
    assert initial(form, "address") == "14 Quay Street, G42 8XY"  # a public address: not held
    assert initial(form, "key_workers") == [OTHER]
    assert _description(bot, "HRS") == before
    # not ticked: the error by the field, short enough for Slack
    refused = bot.slack.view_submission(COORDINATOR, form, values).json
    assert refused["response_action"] == "errors" and list(refused["errors"]) == ["description"]
    error = refused["errors"]["description"]
    assert "UK phone number found: 07••• •••123" in error and "Tick the box" in error
    assert len(error) <= 150
    assert _description(bot, "HRS") == before
    # ticked: saved, knowingly
    reply = bot.slack.view_submission(COORDINATOR, form, ticked(values))
    assert reply.status == 200 and not reply.body
    assert "Saved the directory entry" in shown(bot.fake.wait_for("chat.postMessage")[0].args)
    assert _description(bot, "HRS") == (
        "Casework; ask Ahmed on 07700 900123",
        "Sign in at reception.",
    )


def test_where_the_policy_is_block_a_personal_protocol_is_never_saved(bot: Bot) -> None:
    privacy_policy(bot, "block")
    before = _description(bot, "NCL")
    bot.slack.command("/partners", "org edit NCL", user_id=COORDINATOR)
    opened = bot.fake.wait_for("views.open")[0].response["view"]
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Northside Care Leavers Project"}},
        "description": {"value": {"type": "plain_text_input", "value": "Throughcare."}},
        "protocol": {
            "value": {"type": "plain_text_input", "value": "Young person's NI is QQ 12 34 56 C"}
        },
    }
    for attempt in (values, ticked(values)):  # a forged "anyway" changes nothing
        refused = bot.slack.view_submission(COORDINATOR, opened, attempt).json
        assert refused["response_action"] == "errors"
        error = refused["errors"]["protocol"]
        assert "National Insurance number found" in error and "Never saved" in error
        assert "12 34 56" not in error and len(error) <= 150
    assert _description(bot, "NCL") == before
    assert not bot.fake.calls_to("chat.postMessage")


def test_members_are_listed_by_name_with_their_organisations_name(bot: Bot) -> None:
    bot.ask("join hrs")
    bot.ask("whoami", user_id=OTHER)  # known by name now, in no organisation
    listed = Directory(bot.engine).members()
    assert MemberSummary(MEMBER, "Sam Member", "Harbour Refugee Support") in listed
    assert MemberSummary(OTHER, "Olu Other", None) in listed
    names = [m.name for m in listed]
    assert names == sorted(names) and all(names)
