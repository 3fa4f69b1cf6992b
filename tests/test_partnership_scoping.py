"""Every row belongs to a partnership: a second partnership's rows, planted beside the first's
in the same database, are invisible to the first's commands and statements, and the database
refuses a row that points from one into the other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.db import session_scope
from bot.models import KeyWorker, Member, Organisation, PartnerUpdate
from bot.partnership_scope import NoPartnership, in_partnership, serve_many
from bot.scoping import Unscoped, across_partnerships, unfiltered_tables
from bot.services.gate import trusted
from tests.conftest import MEMBER, Bot
from tests.helpers import OTHER_PARTNERSHIP, plant_partnership, shown

PLANTED = "Zanzibarian"  # a word only the other partnership's rows hold


@pytest.fixture
def two_partnerships(loaded_engine: Engine) -> Engine:
    """The sample partnership (1), and a second one loaded from the same file, with an update
    and a member of its own."""
    plant_partnership(loaded_engine)
    with in_partnership(OTHER_PARTNERSHIP), session_scope(loaded_engine) as session:
        organisation = session.exec(select(Organisation)).scalars().first()
        assert organisation is not None
        session.add(Member(slack_user_id=MEMBER, name=f"{PLANTED} member"))
        session.add(
            PartnerUpdate(
                organisation_id=organisation.id, text=trusted(f"{PLANTED} ESOL club news")
            )
        )
    return loaded_engine


@pytest.fixture
def serving_many() -> Iterator[None]:
    serve_many()
    try:
        yield
    finally:
        serve_many(False)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).scalars().one()


def test_the_same_file_loads_into_two_partnerships_side_by_side(two_partnerships: Engine) -> None:
    """Organisation codes and names, topics, coordinators: unique within a partnership only."""
    mine = count(two_partnerships, Organisation)
    with in_partnership(OTHER_PARTNERSHIP):
        assert count(two_partnerships, Organisation) == mine
        assert count(two_partnerships, PartnerUpdate) == 1
    assert count(two_partnerships, PartnerUpdate) == 0
    with two_partnerships.execution_options(**across_partnerships).connect() as connection:
        every = connection.execute(text("SELECT count(*) FROM organisation")).scalar()
    assert every == 2 * mine


def test_a_member_sees_nothing_of_another_partnership(two_partnerships: Engine, bot: Bot) -> None:
    """The same Slack id is a member of both; what the other partnership holds is never shown."""
    bot.ask("join HRS")
    bot.ask("ESOL conversation club starts Tuesday", command="/update")
    found = shown(bot.ask("search esol", command="/update"))
    assert "conversation club" in found and PLANTED not in found
    assert "club news" not in shown(bot.ask(f"search {PLANTED}", command="/update"))
    with in_partnership(OTHER_PARTNERSHIP), Session(two_partnerships) as session:
        texts = session.exec(select(PartnerUpdate.text)).scalars().all()
    assert texts == [f"{PLANTED} ESOL club news"]  # and the first's update is not the other's


def test_the_database_refuses_a_row_pointing_into_another_partnership(
    two_partnerships: Engine,
) -> None:
    with Session(two_partnerships) as session:
        theirs = session.exec(
            select(Organisation.id).execution_options(**across_partnerships)
            .where(Organisation.partnership_id == OTHER_PARTNERSHIP)
        ).scalars().first()  # fmt: skip
    with pytest.raises(IntegrityError), session_scope(two_partnerships) as session:
        session.add(KeyWorker(organisation_id=theirs, name="Crossing over"))


def test_a_statement_that_does_not_say_whose_rows_it_reads_is_refused(
    two_partnerships: Engine,
) -> None:
    """A Core or textual statement is not given the ORM's filter: it must carry its own."""
    with pytest.raises(Unscoped, match="member"), two_partnerships.connect() as connection:
        connection.execute(select(Member.__table__.c.name))
    with pytest.raises(Unscoped, match="partner_update"), two_partnerships.connect() as connection:
        connection.execute(text("UPDATE partner_update SET text = 'x'"))
    assert unfiltered_tables("SELECT name FROM member WHERE member.partnership_id = ?") == set()
    assert unfiltered_tables("DELETE FROM draft WHERE draft.id = ?") == set()  # by its key
    assert unfiltered_tables("DELETE FROM draft WHERE draft.author_id = ?") == {"draft"}


def test_serving_many_partnerships_work_that_names_none_is_refused(
    two_partnerships: Engine, serving_many: None
) -> None:
    with pytest.raises(NoPartnership), Session(two_partnerships) as session:
        session.exec(select(Organisation)).all()
    with in_partnership(OTHER_PARTNERSHIP):
        assert count(two_partnerships, PartnerUpdate) == 1
