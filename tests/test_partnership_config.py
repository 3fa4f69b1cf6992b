"""The partnership file out of the database and back: exported as the bot holds it (a round trip
changes nothing), and sent to or loaded by a coordinator from Slack."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.models import GlossaryTerm, HotdeskOffer, Organisation, Partnership, Secret
from bot.services.directory import Directory
from bot.services.gate import trusted
from bot.services.partnership_file import (
    apply_partnership,
    export_partnership,
    parse_partnership,
)
from bot.services.partnership_file.write import toml_string
from jobs.registry import JOBS

NOW = datetime(2026, 11, 24, 10, 3, tzinfo=UTC)


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
