"""The partnership file out of the database and back: exported as the bot holds it (a round trip
changes nothing), and sent to or loaded by a coordinator from Slack."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.models import (
    AuditEntry,
    GlossaryTerm,
    HotdeskOffer,
    Member,
    Organisation,
    Partnership,
    Secret,
)
from bot.partnership_cache import partnership_zone
from bot.services.directory import Directory
from bot.services.gate import trusted
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    apply_partnership,
    export_partnership,
    parse_partnership,
)
from bot.services.partnership_file.from_slack import LOADED
from bot.services.partnership_file.write import toml_string
from jobs.registry import JOBS
from tests.conftest import COORDINATOR, MEMBER, Bot
from tests.helpers import settled, shown

NOW = datetime(2026, 11, 24, 10, 3, tzinfo=UTC)
DEPLOYMENT = ZoneInfo("America/Halifax")  # a PARTNERBOT_TZ no partnership file names


def exported(engine: Engine) -> str:
    return export_partnership(engine, now=NOW, by="a test")


def test_the_export_of_the_loaded_sample_loads_back_changing_nothing(
    loaded_engine: Engine,
) -> None:
    text = exported(loaded_engine)
    assert text.startswith("# The partnership file, exported 24 Nov 2026 at 10:03 (UTC)")
    assert "comments are not kept" in text
    report = apply_partnership(loaded_engine, parse_partnership(text, jobs=JOBS))
    assert not report.changed, report.lines()
    assert report.organisations.unchanged == 6 and report.coordinators.unchanged == 3
    assert (report.people.unchanged, report.glossary.unchanged) == (1, 4)


def test_the_export_carries_what_was_changed_in_slack(loaded_engine: Engine) -> None:
    """What coordinators changed in Slack is in it: an organisation, a closure run, an edited
    glossary meaning; a member's own glossary entry is their organisation's, not the file's."""
    Directory(loaded_engine).add_organisation("U0000COORD1", "GAP", "Govan Asylum Project")
    with Session(loaded_engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        offer = session.get(HotdeskOffer, harbour.id)
        assert offer is not None
        offer.closures = ["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-04"]
        isp = session.exec(select(GlossaryTerm).where(GlossaryTerm.term == "ISP")).one()
        isp.meaning = trusted("Individual Support Plan (the person's own)")
        pip = GlossaryTerm(
            key="pip", term=trusted("PIP"), meaning=trusted("A benefit"), organisation_id=harbour.id
        )
        session.add_all([offer, isp, pip])
        session.commit()
    text = exported(loaded_engine)
    assert 'code = "GAP"' in text and 'name = "Govan Asylum Project"' in text
    assert 'closures = ["2026-12-24 to 2026-12-26", 2027-01-04]' in text
    assert "the person's own" in text and "PIP" not in text
    spec = parse_partnership(text, jobs=JOBS)
    assert not apply_partnership(loaded_engine, spec).changed


def test_the_partnerships_time_zone_is_loaded_exported_and_read(loaded_engine: Engine) -> None:
    """Left out, it is the deployment's; set, the file's, written back by the export."""
    with Session(loaded_engine) as session:
        assert partnership_zone(session, DEPLOYMENT) == DEPLOYMENT
    assert "timezone" not in exported(loaded_engine)
    text = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8")
    dublin = text.replace('# timezone = "Europe/London"', 'timezone = "Europe/Dublin"')
    assert apply_partnership(loaded_engine, parse_partnership(dublin, jobs=JOBS)).changed
    with Session(loaded_engine) as session:
        assert partnership_zone(session, DEPLOYMENT) == ZoneInfo("Europe/Dublin")
    again = exported(loaded_engine)
    assert 'timezone = "Europe/Dublin"' in again
    assert not apply_partnership(loaded_engine, parse_partnership(again, jobs=JOBS)).changed
    apply_partnership(loaded_engine, parse_partnership(text, jobs=JOBS))  # taken out again
    with Session(loaded_engine) as session:
        assert partnership_zone(session, DEPLOYMENT) == DEPLOYMENT


def test_no_secret_is_exported(loaded_engine: Engine) -> None:
    """The database's secrets (the erasure key, say) are not settings: none is in the file."""
    with Session(loaded_engine) as session:
        session.add(Secret(name="erasure-key-test", value="s3cret-d0-not-export"))
        session.commit()
        partnership = session.get(Partnership, 1)
        assert partnership is not None
    text = exported(loaded_engine)
    assert "s3cret" not in text and "xoxb-" not in text and "erasure" not in text


@given(st.text(st.characters(blacklist_categories=["Cs"])))
def test_any_text_is_written_as_toml_that_reads_back_as_it_was(text: str) -> None:
    """Long text is wrapped and several lines kept, as the sample writes them: the same text."""
    assert tomllib.loads(f"key = {toml_string(text)}")["key"] == text


# From Slack -------------------------------------------------------------------------------------


def sent_file(bot: Bot) -> str:
    """`/partners config` as the coordinator (help lists it): the file in their DM, as text."""
    assert "/partners config" in shown(bot.ask("help", user_id=COORDINATOR))
    reply = bot.ask("config", user_id=COORDINATOR)
    assert "Sent to your DMs: the partnership file" in shown(reply)
    (upload,) = bot.fake.uploaded_files(COORDINATOR)
    assert upload.filename.endswith(".toml") and "/partners config load" in upload.initial_comment
    return upload.content.decode()


def load(bot: Bot, text: str, user_id: str = COORDINATOR, name: str = "partnership.toml") -> dict:
    """`/partners config load`, the file chosen in the form, submitted: the form's answer."""
    bot.slack.command("/partners", "config load", user_id=user_id)
    form = bot.fake.wait_for("views.open", lambda call: call.ok)[-1].args["view"]
    chosen = bot.fake.file_from(user_id, name, text.encode())
    reply = bot.slack.view_submission(user_id, form, files_chosen(chosen))
    assert reply.status == 200
    return reply.json or {}


def files_chosen(*files: dict) -> dict:
    return {"file": {"value": {"type": "file_input", "files": list(files)}}}


def desks_at_harbour(bot: Bot) -> int:
    with Session(bot.engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        offer = session.get(HotdeskOffer, harbour.id)
        assert offer is not None
        return offer.desks


def loads_recorded(bot: Bot) -> list[str]:
    with Session(bot.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == LOADED)).all()
        return [f"{row.actor} {row.detail}" for row in rows]


def test_a_coordinator_gets_the_file_edits_it_and_loads_it_back(bot: Bot) -> None:
    text = sent_file(bot)
    assert parse_partnership(text, jobs=JOBS).name.startswith("Riverside")
    edited = text.replace("desks = 2", "desks = 4", 1)
    assert load(bot, edited) == {}  # the form closes
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert "Loaded partnership.toml" in shown(told[-1].args)
    assert "organisations: 0 added, 1 updated, 5 unchanged" in shown(told[-1].args)
    assert desks_at_harbour(bot) == 4
    downloads = bot.fake.calls_to("file_download")
    assert [call.token for call in downloads] == ["xoxb-test-token"]
    assert [c.args["file"] for c in bot.fake.calls_to("files.info")] == [
        downloads[0].args["url"].split("-")[-1].split("/")[0]
    ]
    (recorded,) = loads_recorded(bot)
    assert recorded.startswith(f"{COORDINATOR} F") and "organisations: 0 added, 1 updated" in (
        recorded
    )


def test_members_can_neither_export_nor_load(bot: Bot) -> None:
    assert "Only the partnership's coordinators" in shown(bot.ask("config", user_id=MEMBER))
    assert "Only the partnership's coordinators" in shown(bot.ask("config load", user_id=MEMBER))
    assert bot.fake.uploaded_files(MEMBER) == [] and not bot.fake.calls_to("views.open")
    form = load_form_as_sent()
    chosen = bot.fake.file_from(MEMBER, "partnership.toml", b'[partnership]\nname = "Mine"\n')
    refused = bot.slack.view_submission(MEMBER, form, files_chosen(chosen)).json
    assert "Only the partnership's coordinators" in refused["errors"]["file"]
    assert not bot.fake.calls_to("file_download") and loads_recorded(bot) == []


def load_form_as_sent() -> dict:
    """The load form as the app sends it (a member can't open it, but can send what it sends)."""
    from bot.slack.blocks.config import load_form

    return load_form().to_dict()


def test_a_mistake_is_shown_next_to_the_file_with_its_line_and_nothing_changes(bot: Bot) -> None:
    text = sent_file(bot).replace("desks = 2", 'desks = "two"', 1)
    line = text.splitlines().index('  desks = "two"') + 1
    answer = load(bot, text.replace('name = "Harbour', 'name = "Harbor', 1))
    assert answer["response_action"] == "errors"
    assert answer["errors"]["file"].startswith(
        f"partnership.toml, line {line}, organisations[1].hotdesk.desks: should be a whole number"
    )
    assert "nothing has changed" in answer["errors"]["file"]
    assert desks_at_harbour(bot) == 2 and loads_recorded(bot) == []


def test_a_file_that_drops_its_loader_as_coordinator_is_refused(bot: Bot) -> None:
    text = sent_file(bot)
    without_me = text.replace(f'slack = "{COORDINATOR}"', 'slack = "U0SOMEONE"', 1)
    answer = load(bot, without_me.replace("desks = 2", "desks = 4", 1))
    assert "leaves you out of [[coordinators]]" in answer["errors"]["file"]
    assert f'slack = "{COORDINATOR}"' in answer["errors"]["file"]
    nobody = re.sub(r'\[\[coordinators\]\]\nslack = "U\w+"\nname = "[^"]*"\n', "", text)
    assert "U0000COORD" not in nobody
    assert "lists no coordinator on Slack" in load(bot, nobody)["errors"]["file"]
    assert desks_at_harbour(bot) == 4 - 2 and loads_recorded(bot) == []
    with Session(bot.engine) as session:
        assert not session.exec(select(Member).where(Member.slack_user_id == "U0SOMEONE")).first()


def test_the_same_file_submitted_twice_is_loaded_once(bot: Bot) -> None:
    edited = sent_file(bot).replace("desks = 2", "desks = 3", 1)
    bot.slack.command("/partners", "config load", user_id=COORDINATOR)
    form = bot.fake.wait_for("views.open")[-1].args["view"]
    chosen = files_chosen(bot.fake.file_from(COORDINATOR, "p.toml", edited.encode()))
    assert bot.slack.view_submission(COORDINATOR, form, chosen).json is None
    again = bot.slack.view_submission(COORDINATOR, form, chosen).json
    assert "p.toml was loaded already" in again["errors"]["file"]
    settled(bot)
    assert desks_at_harbour(bot) == 3 and len(loads_recorded(bot)) == 1


def test_a_file_slack_will_not_give_or_of_someone_else_is_not_loaded(bot: Bot) -> None:
    bot.slack.command("/partners", "config load", user_id=COORDINATOR)
    form = bot.fake.wait_for("views.open")[-1].args["view"]
    theirs = bot.fake.file_from(MEMBER, "p.toml", b"")
    refused = bot.slack.view_submission(COORDINATOR, form, files_chosen(theirs)).json
    assert "shared by someone else" in refused["errors"]["file"]
    mine = bot.fake.file_from(COORDINATOR, "p.toml", b'[partnership]\nname = "P"\n')
    bot.fake.fail_next("file_download", 500)
    refused = bot.slack.view_submission(COORDINATOR, form, files_chosen(mine)).json
    assert "Slack didn't give me the file" in refused["errors"]["file"]
    assert loads_recorded(bot) == []
