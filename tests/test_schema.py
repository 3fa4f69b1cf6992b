"""What the schema itself holds to: states from a closed set, lists as JSON arrays, and a
migration that keeps every row (on SQLite too, where altering a table copies it)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, Engine, inspect, make_url, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.db import alembic_config, make_engine
from bot.models import (
    COMMITMENT_STATUSES,
    OPPORTUNITY_KINDS,
    OUTBOX_STATUSES,
    PRIVACY_POLICIES,
    REGIONS,
    RSVP_ANSWERS,
    SESSION_KINDS,
    HotdeskOffer,
    metadata,
)
from bot.scoping import across_partnerships
from bot.services import outbox, sessions, working_days
from bot.services.opportunities import types as opportunities
from bot.services.partnership_file import read as partnership_file
from tests.conftest import BACKENDS, postgres_base_url

WORDS = re.compile(r"'([^']*)'")


def closed_sets() -> dict[tuple[str, str], set[str]]:
    """(table, constraint name): the words the models allow."""
    return {
        (table.name, str(check.name)): set(WORDS.findall(str(check.sqltext)))
        for table in metadata.sorted_tables
        for check in table.constraints
        if isinstance(check, CheckConstraint)
    }


def test_the_database_checks_the_same_closed_sets_as_the_models(engine: Engine) -> None:
    inspector = inspect(engine)
    built = {
        (table, str(check["name"])): set(WORDS.findall(check["sqltext"]))
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }
    assert built == closed_sets()


def test_the_models_allow_exactly_the_words_the_services_write() -> None:
    assert set(COMMITMENT_STATUSES) == set(sessions.STATUSES)
    assert set(RSVP_ANSWERS) == set(sessions.ANSWERS)
    assert set(SESSION_KINDS) == set(sessions.KINDS)
    assert set(OPPORTUNITY_KINDS) == set(opportunities.KINDS)
    assert set(PRIVACY_POLICIES) == set(partnership_file.PRIVACY_POLICIES)
    assert set(REGIONS) == set(working_days.REGIONS.values())
    assert outbox.UNSURE in OUTBOX_STATUSES


REFUSED = {  # a word the code never writes, in a row that is otherwise whole
    "desk_booking": (
        "INSERT INTO desk_booking (partnership_id, organisation_id, visitor_id, day, part, "
        "status, created_at) VALUES (1, 1, 'U1', '2026-12-01', 'am', 'booked', "
        "'2026-12-01 09:00:00')"
    ),
    "inbox_item": (
        "INSERT INTO inbox_item (partnership_id, kind, body, status, lease_until, attempts, "
        "received_at) VALUES (1, 'x', '', 'lost', '2026-12-01 09:00:00', 1, "
        "'2026-12-01 09:00:00')"
    ),
    "outbox_item": (
        "INSERT INTO outbox_item (partnership_id, kind, target, message, row_kind, status, "
        "error, created_at, updated_at) VALUES (1, 'dm', 'U1', '', '', 'gone', '', "
        "'2026-12-01 09:00:00', '2026-12-01 09:00:00')"
    ),
    "partnership": "UPDATE partnership SET privacy_policy = 'maybe'",
}


@pytest.mark.parametrize("table", sorted(REFUSED))
def test_the_database_refuses_a_state_the_code_never_writes(
    loaded_engine: Engine, table: str
) -> None:
    with pytest.raises(IntegrityError, match=f"ck_{table}_"), loaded_engine.begin() as connection:
        connection.execute(text(REFUSED[table]))


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (CI sets it)")
    schema = f"pb_migrate_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_lists_become_json_arrays_and_back_and_no_row_is_lost(empty_url: str) -> None:
    engine = make_engine(empty_url)
    config = alembic_config(engine)
    command.upgrade(config, "0010")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO organisation (id, code, name, description, address, visitor_protocol, "
            "updated_at) VALUES (1, 'HRS', 'Harbour', '', '', '', '2026-12-01 09:00:00')",
            "INSERT INTO hotdeskoffer (organisation_id, desks, weekdays, half_days, "
            "needs_approval, closures, closed_on_bank_holidays, max_days_ahead) "
            "VALUES (1, 2, 'mon,thu', true, false, '2026-12-24,2026-12-31', true, 60)",
            "INSERT INTO desk_booking (id, organisation_id, visitor_id, day, part, status, "
            "created_at) VALUES (1, 1, 'U1', '2026-12-03', 'am', 'confirmed', "
            "'2026-12-01 09:00:00')",
            "INSERT INTO desk_hold (booking_id, organisation_id, visitor_id, day, half, seat) "
            "VALUES (1, 1, 'U1', '2026-12-03', 'am', 1)",
            "INSERT INTO draft (author_id, text, topics, wants_help, created_at) "
            "VALUES ('U1', 'a draft', 'housing,food', false, '2026-12-01 09:00:00')",
            "INSERT INTO draft (author_id, text, topics, wants_help, created_at) "
            "VALUES ('U1', 'no topics', '', false, '2026-12-01 09:00:00')",
        ):
            connection.execute(text(statement))
    command.upgrade(config, "head")
    with Session(engine) as session:
        offer = session.get(HotdeskOffer, 1)
        assert offer is not None
        assert (offer.weekdays, offer.closures) == (["mon", "thu"], ["2026-12-24", "2026-12-31"])
    with engine.execution_options(**across_partnerships).connect() as connection:
        topics = connection.execute(text("SELECT topics FROM draft ORDER BY id")).scalars().all()
        assert topics == ['["housing", "food"]', "[]"]
        # the booking's table was copied on SQLite: the hold that refers to it is still there
        assert connection.execute(text("SELECT count(*) FROM desk_hold")).scalar() == 1
    command.downgrade(config, "0010")
    with engine.execution_options(**across_partnerships).connect() as connection:
        offer_row = connection.execute(text("SELECT weekdays, closures FROM hotdeskoffer")).one()
        assert tuple(offer_row) == ("mon,thu", "2026-12-24,2026-12-31")
        topics = connection.execute(text("SELECT topics FROM draft ORDER BY id")).scalars().all()
        assert topics == ["housing,food", ""]
        assert connection.execute(text("SELECT count(*) FROM desk_hold")).scalar() == 1
    engine.dispose()


def test_a_list_is_read_back_as_written(engine: Engine) -> None:
    with Session(engine) as session:
        session.exec(
            text(
                "INSERT INTO organisation (partnership_id, id, code, name, description, address, "
                "visitor_protocol, updated_at) "
                "VALUES (1, 1, 'HRS', 'Harbour', '', '', '', '2026-12-01 09:00:00')"
            )
        )
        session.add(HotdeskOffer(organisation_id=1, closures=["2026-12-24"]))
        session.commit()
    with Session(engine) as session:
        offer = session.exec(select(HotdeskOffer)).one()
        assert offer.weekdays == ["mon", "tue", "wed", "thu", "fri"]
        assert offer.closures == ["2026-12-24"]
