"""The guard holds a client named with a role, title, age or circumstance, and never staff."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.models import KeyWorker, Opportunity, Organisation, PartnerUpdate
from bot.services import gate
from bot.services.privacy import Kind, explain, scan
from bot.services.privacy_names import KnownPeople
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import buttons, form_values, privacy_policy, replies_to, shown
from tests.privacy_names_corpus import CLIENTS, ORDINARY
from tests.privacy_names_holdout import HOLDOUT_CLIENTS, HOLDOUT_ORDINARY

CLIENT = "Our client Selam Tesfay, 16, from Ethiopia was moved to a hotel last night."
# Amina Yusuf is a key worker in the sample partnership file; Morag Fraser its coordinator.
KEY_WORKER = "Amina Yusuf will be in hospital next week, so the Tuesday drop-in is off."
COORDINATOR_NAMED = "Morag Fraser has been detained by the trains; the meeting starts at 11."


def names(text: str, known: KnownPeople | None = None) -> list[str]:
    return [f.masked for f in scan(text, known or KnownPeople()) if f.kind is Kind.CLIENT_NAME]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Client Dawit Haile needs a Tigrinya interpreter.", "D•••• H••••"),
        ("Young person, Connor Reid, is doing well.", "C••••• R•••"),
        ("Care leaver Amy-Leigh Johnstone starts college.", "A••-L•••• J••••••••"),
        ("The Nazari family need a bigger flat.", "N•••••"),
        ("Can anyone help Mr Farid Nazari with his forms?", "F•••• N•••••"),
        ("Connor Reid (15) starts at the youth club.", "C••••• R•••"),
        ("Kerry-Ann Smith, 19, needs a bank account.", "K••••-A•• S••••"),
        ("Aaron Campbell, aged 17, wants to learn to drive.", "A•••• C•••••••"),
        ("Hamid Rahimi has been sleeping rough since Monday.", "H•••• R•••••"),
        ("Can someone see Selam Gebre? She has been self-harming.", "S•••• G••••"),
        ("Mr Hassan Ali's asylum claim was refused.", "H••••• A••"),
    ],
)
def test_a_name_in_a_clients_context_is_held_and_masked(text: str, masked: str) -> None:
    assert names(text) == [masked]


@pytest.mark.parametrize(
    "text",
    [
        "Priya from Bridges will lead the GP registration training.",
        "Dr Helen Murray gave a brilliant session on trauma-informed care.",
        "Rosa Parks House has two rooms free for women leaving the asylum system.",
        "The Helen Bamber Foundation has a new guide on trafficking.",
        "Mr Adams from the council's homelessness team will attend.",
        "Children aged 5-11 can join the holiday club.",
        "The Refugee Festival Scotland runs in June.",
        "Dawit Haile starts as our new caseworker on Monday.",
    ],
)
def test_staff_speakers_places_and_organisations_are_not_held(text: str) -> None:
    assert names(text) == []


def test_known_staff_are_never_held_by_full_first_or_surname() -> None:
    staff = KnownPeople(["Amina Yusuf", "Kirsty Campbell", "", "priya"])
    assert names(KEY_WORKER) == ["A•••• Y••••"]
    assert names(KEY_WORKER, staff) == []
    assert names("Amina is in hospital. Mrs Yusuf is detained.", staff) == []
    # A Slack display name of a first name alone does not cover someone else with a surname.
    assert names("Priya Shah has been detained at Dungavel.", staff) == ["P•••• S•••"]
    assert names("Fatima Yusuf has been detained at Dungavel.", staff) == ["F••••• Y••••"]


def test_pasted_text_is_matched_normalised_and_masked_as_written() -> None:
    pasted = "Client\u00a0Dawit\u200b Haile \u2014 detained"
    (finding,) = scan(pasted)
    assert finding.kind is Kind.CLIENT_NAME
    assert pasted[finding.start : finding.end] == "Dawit\u200b Haile"
    assert fullwidth_name() == ["Ｄ••••\u3000Ｈ••••"]


def fullwidth_name() -> list[str]:
    text = "Client Dawit Haile needs a flat."
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" for c in text)
    return names(wide)


def test_the_reason_says_what_to_do_instead() -> None:
    assert explain(Kind.CLIENT_NAME) == (
        "A name with an age or circumstance identifies one person; describe the need, "
        "not the person."
    )


# --- Corpora ------------------------------------------------------------------------------------


def held(text: str) -> bool:
    return any(finding.kind is Kind.CLIENT_NAME for finding in scan(text))


def figures(clients: list[str], ordinary: list[str]) -> tuple[float, float]:
    """Recall on named clients and the false-positive rate on ordinary updates."""
    return sum(map(held, clients)) / len(clients), sum(map(held, ordinary)) / len(ordinary)


def test_corpora_meet_the_targets_on_the_tuning_part_and_report_the_held_back_part() -> None:
    """Targets are asserted on the tuning two thirds only. The held-back third was written first
    and is never tuned against, so its figures are printed (and in the README) as they fall."""
    assert len(CLIENTS) + len(HOLDOUT_CLIENTS) >= 100
    assert len(ORDINARY) + len(HOLDOUT_ORDINARY) >= 100
    assert 3 * len(HOLDOUT_CLIENTS) >= len(CLIENTS) + len(HOLDOUT_CLIENTS) - 2
    assert 3 * len(HOLDOUT_ORDINARY) >= len(ORDINARY) + len(HOLDOUT_ORDINARY) - 2
    assert not set(CLIENTS + ORDINARY) & set(HOLDOUT_CLIENTS + HOLDOUT_ORDINARY)
    recall, false_positives = figures(CLIENTS, ORDINARY)
    held_back = figures(HOLDOUT_CLIENTS, HOLDOUT_ORDINARY)
    print(f"\ntuning    recall {recall:.1%}  false positives {false_positives:.1%}")
    print(f"held back recall {held_back[0]:.1%}  false positives {held_back[1]:.1%}")
    assert recall >= 0.90, [text for text in CLIENTS if not held(text)]
    assert false_positives <= 0.05, [text for text in ORDINARY if held(text)]


# --- Through Slack, on both databases ------------------------------------------------------------


@pytest.fixture
def members(bot: Bot) -> Bot:
    """MEMBER works at Harbour Refugee Support, OTHER at New Roots Housing."""
    bot.ask("join HRS", user_id=MEMBER)
    bot.ask("join NRH", user_id=OTHER)
    return bot


def updates(bot: Bot) -> list[str]:
    with Session(bot.engine) as session:
        return [row.text for row in session.exec(select(PartnerUpdate)).all()]


def test_update_naming_a_client_is_held_masked_with_the_reason_and_post_anyway(
    members: Bot,
) -> None:
    answer = members.ask(CLIENT, command="/update")
    text = shown(answer)
    assert "Not posted yet" in text and "client's name" in text
    assert "S•••• T•••••" in text and "Selam" not in text and "Tesfay" not in text
    assert "describe the need, not the person" in text
    actions = [b["action_id"] for b in buttons(answer)]
    assert actions == ["update_draft_edit", "update_post_anyway"]
    assert updates(members) == []
    replies_to(
        members, lambda: members.slack.block_action(MEMBER, actions[1], buttons(answer)[1]["value"])
    )
    assert updates(members) == [CLIENT]


def test_where_the_policy_is_block_a_named_client_cannot_be_posted(members: Bot) -> None:
    privacy_policy(members, "block")
    answer = members.ask(CLIENT, command="/update")
    assert [b["action_id"] for b in buttons(answer)] == ["update_draft_edit"]
    assert updates(members) == []


@pytest.mark.parametrize("text", [KEY_WORKER, COORDINATOR_NAMED])
def test_a_key_worker_or_member_named_with_a_circumstance_is_posted(
    members: Bot, text: str
) -> None:
    assert names(text)  # held for a stranger's name
    answer = members.ask(text, command="/update")
    assert "Posted to #partnership-updates" in shown(answer)
    assert updates(members) == [text]


def test_a_members_slack_name_is_not_held(members: Bot) -> None:
    text = "Olu Other has been evicted from the office by the builders, back Monday."
    assert "Posted to" in shown(members.ask(text, command="/update"))


def test_the_update_form_and_its_edit_path_hold_a_named_client(members: Bot) -> None:
    seen = len(members.fake.calls_to("views.open"))
    members.slack.command("/update", "", user_id=MEMBER)
    view = members.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    (held_back,) = replies_to(
        members, lambda: members.slack.view_submission(MEMBER, view, form_values(CLIENT))
    )
    assert "client's name" in shown(held_back) and updates(members) == []

    answer = members.ask("Drop-in on Fridays", command="/update")
    edit = next(b for b in buttons(answer) if b["action_id"] == "update_edit")
    seen = len(members.fake.calls_to("views.open"))
    members.slack.block_action(MEMBER, "update_edit", edit["value"])
    view = members.fake.wait_for("views.open", count=seen + 1)[-1].args["view"]
    assert json.loads(view["private_metadata"])["edit"] == int(edit["value"])
    (held_edit,) = replies_to(
        members, lambda: members.slack.view_submission(MEMBER, view, form_values(CLIENT))
    )
    assert "client's name" in shown(held_edit)
    assert updates(members) == ["Drop-in on Fridays"]


def test_the_opportunity_form_holds_a_named_client(members: Bot) -> None:
    answer = members.ask(
        "event Drop-in for Mrs Amina Abdi, who is pregnant", command="/opportunity"
    )
    assert "client's name" in shown(answer) and "A•••• A•••" in shown(answer)
    with Session(members.engine) as session:
        assert session.exec(select(Opportunity)).all() == []


def directory_edit(bot: Bot, description: str) -> Any:
    """A coordinator's edit of Harbour Refugee Support's entry: the response to the form."""
    seen = len(bot.fake.calls_to("views.open"))
    bot.slack.command("/partners", "org edit HRS", user_id=COORDINATOR)
    opened = bot.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Harbour Refugee Support"}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
        "address": {"value": {"type": "plain_text_input", "value": "14 Quay Street"}},
        "protocol": {"value": {"type": "plain_text_input", "value": "Sign in at reception."}},
        "key_workers": {"value": {"type": "multi_users_select", "selected_users": []}},
    }
    return bot.slack.view_submission(COORDINATOR, opened, values)


def description(bot: Bot) -> str:
    with Session(bot.engine) as session:
        return (
            session.exec(select(Organisation).where(Organisation.code == "HRS")).one().description
        )


def test_the_directory_form_holds_a_named_client_and_saves_a_key_worker(bot: Bot) -> None:
    before = description(bot)
    held_back = directory_edit(bot, "Casework. Mr Farid Nazari has been detained, ask us.").json
    assert held_back["response_action"] == "update"
    assert "client's name" in shown(held_back["view"])
    assert "F•••• N•••••" in shown(held_back["view"]) and "Nazari" not in shown(held_back["view"])
    assert description(bot) == before
    staff = "Casework. Amina Yusuf is in hospital until May; ask Daniel Okafor meanwhile."
    saved = directory_edit(bot, staff)
    assert saved.status == 200 and not saved.body
    assert description(bot) == staff


def test_the_gate_reads_the_staff_once_per_transaction(bot: Bot) -> None:
    with Session(bot.engine) as session:
        policy = gate.privacy_policy(session)
        assert gate.privacy_policy(session) is policy
        assert policy.staff.knows(("amina", "yusuf")) and policy.staff.knows(("morag",))
        assert not policy.staff.knows(("selam", "tesfay"))
        organisation = session.exec(select(Organisation)).first()
        assert organisation is not None
        session.add(KeyWorker(organisation_id=organisation.id, name="Selam Tesfay"))
        session.commit()
        assert gate.privacy_policy(session).staff.knows(("selam", "tesfay"))
