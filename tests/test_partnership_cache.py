"""What each process keeps between requests (bot.partnership_cache): a change made by any path
is seen by the next request in every process, a change rolled back never, and nothing kept for
one partnership is read for another. A second engine on the same database stands for another
process (gunicorn's other worker, the clock): it has values of its own."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session

from bot.db import make_engine, read_scope, session_scope
from bot.models import HotdeskOffer, Partnership
from bot.partnership_cache import LOADERS, WATCHED, partnership_settings
from bot.partnership_scope import in_partnership
from bot.services.directory import Directory, OrganisationEdit, find_organisation
from bot.services.hotdesk.service import Hotdesk
from bot.services.hotdesk.store import host_of
from bot.services.partnership_file import SAMPLE_PARTNERSHIP, apply_partnership, parse_partnership
from jobs.registry import JOBS
from tests.conftest import AMINA, COORDINATOR, Bot
from tests.helpers import DANIEL, LONDON, MONDAY, hotdesk_members, privacy_policy, shown

ROOT = Path(__file__).resolve().parent.parent
HARBOUR = "Harbour Refugee Support"


@pytest.fixture
def elsewhere(database_url: str) -> Iterator[Engine]:
    """Another process's engine on the same database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def harbour_row(bot: Bot, day: date) -> str:
    """Harbour's line in `/hotdesk free <day>`, as the bot answers it now."""
    grid = shown(bot.ask(f"free {day:%-d/%-m/%Y}", command="/hotdesk"))
    return next(line for line in grid.splitlines() if line.startswith("HRS"))


def test_an_offer_saved_in_its_form_is_seen_at_once_in_every_process(
    bot: Bot, elsewhere: Engine
) -> None:
    members, other = hotdesk_members(bot), Hotdesk(elsewhere, LONDON)
    monday = date(2026, 11, 30)
    assert harbour_row(members, monday).split()[1:] == ["–"]  # Harbour lends tue–thu
    assert (other.host("HRS").desks, other.host("HRS").weekdays) == (2, ("tue", "wed", "thu"))
    members.fake.add_user(AMINA, "Amina Yusuf")
    seen = len(members.fake.calls_to("views.open"))
    members.slack.command("/hotdesk", "offer", user_id=AMINA)
    view = members.fake.wait_for("views.open", count=seen + 1)[-1].response["view"]
    values = {
        "desks": {"value": {"type": "number_input", "value": "3"}},
        "weekdays": {"value": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}},
        "flags": {"value": {"type": "checkboxes", "selected_options": []}},
        "closures": {"value": {"type": "plain_text_input", "value": ""}},
        "max_days_ahead": {"value": {"type": "number_input", "value": "30"}},
        "address": {"value": {"type": "plain_text_input", "value": "1 New Street"}},
        "protocol": {"value": {"type": "plain_text_input", "value": "Ring the bell"}},
        "key_workers": {"value": {"type": "multi_users_select", "selected_users": [DANIEL]}},
    }
    replied = len(members.fake.calls_to("response_url"))
    members.slack.view_submission(AMINA, view, values)
    members.fake.wait_for("response_url", count=replied + 1)
    assert harbour_row(members, monday).split()[1:] == ["3·3"]
    host = other.host("HRS")
    assert (host.desks, host.weekdays, host.address, host.protocol) == (
        3, ("mon",), "1 New Street", "Ring the bell",
    )  # fmt: skip
    assert host.key_worker_ids == (DANIEL,)
    assert [h.desks for h in other.hosts() if h.code == "HRS"] == [3]


def test_the_partnership_file_reloaded_is_read_by_every_process(
    loaded_engine: Engine, elsewhere: Engine
) -> None:
    here, other = Hotdesk(loaded_engine, LONDON), Hotdesk(elsewhere, LONDON)
    st_andrews = date(2026, 11, 30)  # a bank holiday in Scotland only
    for hotdesk in (here, other):
        assert hotdesk.working_days().is_working_day(st_andrews)
        assert hotdesk.host("HRS").name == HARBOUR
    text = SAMPLE_PARTNERSHIP.read_text(encoding="utf-8")
    edited = (
        text.replace('bank_holidays = "england"', 'bank_holidays = "scotland"')
        .replace(f'name = "{HARBOUR}"', 'name = "Harbour Refugee Service"')
        .replace("desks = 2", "desks = 5", 1)
        .replace(
            'slack = "U0000AMINA1"\n',
            'slack = "U0000AMINA1"\n\n  [[organisations.key_workers]]\n  name = "Kofi Mensah"\n',
        )
    )
    assert apply_partnership(loaded_engine, parse_partnership(edited, jobs=JOBS)).changed
    for hotdesk in (here, other):
        assert not hotdesk.working_days().is_working_day(st_andrews)
        host = hotdesk.host("HRS")
        assert (host.name, host.desks) == ("Harbour Refugee Service", 5)
        assert [person.name for person in host.key_workers] == ["Amina Yusuf", "Kofi Mensah"]


def test_an_organisation_edited_in_the_directory_is_seen_by_every_process(
    loaded_engine: Engine, elsewhere: Engine
) -> None:
    other = Hotdesk(elsewhere, LONDON)
    assert other.host("HRS").address.startswith("14 Quay Street")
    edit = OrganisationEdit(
        name=HARBOUR, description="Advice and casework.", address="3 Dock Road",
        visitor_protocol="Sign in at reception.", key_worker_ids=[DANIEL],
    )  # fmt: skip
    Directory(loaded_engine).edit_organisation(COORDINATOR, "HRS", edit)
    host = other.host("HRS")
    assert (host.address, host.protocol) == ("3 Dock Road", "Sign in at reception.")
    assert host.key_worker_ids == (DANIEL,)


def test_an_organisation_renamed_in_another_process_is_named_anew_in_the_next_search(
    bot: Bot, elsewhere: Engine
) -> None:
    members = hotdesk_members(bot)  # MEMBER works at Northside Care Leavers Project
    members.ask("We've opened a Saturday drop-in for young people", command="/update")
    assert "Northside Care Leavers" in shown(members.ask("search drop-in", command="/update"))
    edit = OrganisationEdit(
        name="Northside Young People's Project", description="", address="",
        visitor_protocol="", key_worker_ids=["U0000KIRSTY"],  # as they are: a rename alone
    )  # fmt: skip
    Directory(elsewhere).edit_organisation(COORDINATOR, "NCL", edit)
    found = shown(members.ask("search drop-in", command="/update"))
    assert "Northside Young People's Project" in found and "Care Leavers" not in found


def test_a_setting_changed_by_any_writer_is_read_by_every_process(
    bot: Bot, elsewhere: Engine
) -> None:
    """The row written by hand, as no service does: the version moves all the same."""
    for engine in (bot.engine, elsewhere):
        with read_scope(engine) as session:
            assert partnership_settings(session).privacy_policy == "warn"
    privacy_policy(bot, "block")
    for engine in (bot.engine, elsewhere):
        with read_scope(engine) as session:
            assert partnership_settings(session).privacy_policy == "block"


def test_a_change_rolled_back_is_seen_only_by_its_own_transaction(loaded_engine: Engine) -> None:
    hotdesk = Hotdesk(loaded_engine, LONDON)
    assert hotdesk.host("HRS").desks == 2
    with pytest.raises(LookupError), session_scope(loaded_engine) as session:
        harbour = find_organisation(session, "HRS")
        offer = session.get_one(HotdeskOffer, harbour.id)
        offer.desks = 9
        session.add(offer)
        assert host_of(session, harbour).desks == 9
        raise LookupError("then it fails")
    with session_scope(loaded_engine) as session:  # the next change, to another agency
        find_organisation(session, "SPL").address = "1 Market Row"
    assert (hotdesk.host("HRS").desks, hotdesk.host("SPL").address) == (2, "1 Market Row")


def test_a_row_read_before_another_process_changed_it_is_never_kept(
    loaded_engine: Engine, elsewhere: Engine
) -> None:
    """On PostgreSQL each statement sees the latest commit: the row this session read before
    the change must not be what is kept for the version after it."""
    edit = OrganisationEdit(
        name="Harbour Refugee Service", description="", address="3 Dock Road",
        visitor_protocol="", key_worker_ids=[AMINA],
    )  # fmt: skip
    hotdesk = Hotdesk(loaded_engine, LONDON)
    with read_scope(loaded_engine) as session:
        harbour = find_organisation(session, "HRS")  # held: the session keeps it as read
        Directory(elsewhere).edit_organisation(COORDINATOR, "HRS", edit)
        host_of(session, harbour)
    assert hotdesk.host("HRS").name == "Harbour Refugee Service"


def test_nothing_kept_for_one_partnership_is_read_for_another(loaded_engine: Engine) -> None:
    with in_partnership(2), session_scope(loaded_engine) as session:
        session.add(Partnership(id=2, name="Second", bank_holidays="SCT"))
    hotdesk = Hotdesk(loaded_engine, LONDON)
    assert hotdesk.working_days().region == "ENG"
    with in_partnership(2):
        assert hotdesk.working_days().region == "SCT"
    with session_scope(loaded_engine) as session:
        session.get_one(Partnership, 1).bank_holidays = "WLS"
    assert hotdesk.working_days().region == "WLS"
    with in_partnership(2):
        assert hotdesk.working_days().region == "SCT"


def test_a_request_that_finds_its_values_kept_reads_only_the_version(
    loaded_engine: Engine,
) -> None:
    hotdesk = Hotdesk(loaded_engine, LONDON)
    first = hotdesk.free(None, MONDAY)
    read: list[set[str]] = []
    with tables_read(loaded_engine, read):
        assert hotdesk.free(None, MONDAY) == first
    assert read == [{"partnership"}, {"desk_hold"}]


def test_every_kept_value_is_made_of_watched_tables_only(loaded_engine: Engine) -> None:
    """A value made from another table would go stale: no change to it moves the version."""
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")]:
        if "@kept" in path.read_text(encoding="utf-8"):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert len(LOADERS) >= 2
    read: list[set[str]] = []
    with loaded_engine.connect() as connection, tables_read(loaded_engine, read):
        for load in LOADERS:
            load(Session(bind=connection))
    assert read and set().union(*read) <= WATCHED


@contextmanager
def tables_read(engine: Engine, found: list[set[str]]) -> Iterator[None]:
    """The tables of each statement run on `engine` in the block, appended to `found`."""

    def note(_connection: object, statement: object, *_: object) -> None:
        if isinstance(statement, ClauseElement):
            tables = find_tables(statement, check_columns=True, include_crud=True)
            found.append({table.name for table in tables if table is not None})

    event.listen(engine, "before_execute", note)
    try:
        yield
    finally:
        event.remove(engine, "before_execute", note)
