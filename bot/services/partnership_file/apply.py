"""The partnership file's specs upserted into the database.

Loading is idempotent (loading the same file twice leaves the same state) and additive:
organisations, topics and coordinators added in Slack are kept when the file is loaded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.models import (
    EmailCoordinator,
    EmailDelivery,
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    Partnership,
    Topic,
)
from bot.partnership_scope import current_partnership
from bot.scoping import ours
from bot.services import gate
from bot.services.glossary.store import load_entry
from bot.services.partnership_file.read import (
    CoordinatorSpec,
    OrganisationSpec,
    PartnershipSpec,
    PersonSpec,
)
from bot.services.rights import erased_check


@dataclass
class Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, before: Any, after: Any) -> None:
        if before is None:
            self.added += 1
        elif before != after:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class LoadReport:
    """What a load changed, one line per kind of thing."""

    partnership: Tally = field(default_factory=Tally)
    organisations: Tally = field(default_factory=Tally)
    coordinators: Tally = field(default_factory=Tally)
    people: Tally = field(default_factory=Tally)
    topics: Tally = field(default_factory=Tally)
    glossary: Tally = field(default_factory=Tally)
    erased_skipped: int = 0  # people in the file whose data was erased: not brought back

    def tallies(self) -> dict[str, Tally]:
        return {kind: tally for kind, tally in vars(self).items() if isinstance(tally, Tally)}

    @property
    def changed(self) -> bool:
        return any(t.added or t.updated for t in self.tallies().values())

    def lines(self) -> list[str]:
        lines = [f"{kind}: {tally}" for kind, tally in self.tallies().items()]
        if self.erased_skipped:
            people = "person" if self.erased_skipped == 1 else "people"
            lines.append(f"skipped {self.erased_skipped} {people} erased at their request")
        return lines


def apply_partnership(engine: Engine, spec: PartnershipSpec) -> LoadReport:
    """Upsert the file's contents in one transaction and say what changed (`apply_in`)."""
    with session_scope(engine) as session:
        return apply_in(session, spec)


def apply_in(session: Session, spec: PartnershipSpec) -> LoadReport:
    """Upsert the file's contents in the caller's transaction and say what changed.

    Coordinators and key workers whose data was erased (services.rights keeps a keyed hash of
    their Slack id) are skipped, and the report says how many: a reload never brings them back.
    """
    report = LoadReport()
    erased = erased_check(session)
    addresses_before = _file_addresses(session)
    skipped: set[str] = set()

    def keep(slack: str | None) -> bool:
        if slack and erased(slack):
            skipped.add(slack)
            return False
        return True

    _apply_settings(session, spec, report)
    for topic in spec.topics:
        exists = session.exec(select(Topic).where(Topic.name == topic)).first()
        report.topics.count(topic if exists else None, topic)
        if not exists:
            session.add(Topic(name=topic))
    for coordinator in spec.coordinators:
        if coordinator.slack and keep(coordinator.slack):
            _apply_coordinator(session, coordinator.slack, coordinator.name, report)
    _apply_email_coordinators(session, spec.coordinators, report)
    for organisation in spec.organisations:
        workers = tuple(worker for worker in organisation.key_workers if keep(worker.slack))
        _apply_organisation(session, replace(organisation, key_workers=workers), report)
    for entry in spec.glossary:
        added = load_entry(session, entry.term, entry.meaning, entry.description)
        report.glossary.count(None if added else entry, entry)
    _apply_people(session, spec.people, report)
    _forget_emails_to(session, addresses_before - _addresses_in_use(session))
    report.erased_skipped = len(skipped)
    return report


def _file_addresses(session: Session) -> set[str]:
    """The addresses the partnership file gave people not on Slack, lowercased."""
    found = [
        *session.exec(select(KeyWorker.email)).all(),
        *session.exec(select(PartnerPerson.email)).all(),
        *session.exec(select(EmailCoordinator.email)).all(),
    ]
    return {address.lower() for address in found if address}


def _addresses_in_use(session: Session) -> set[str]:
    session.flush()
    digests = session.exec(select(Member.digest_email, Member.digest_email_asked)).all()
    asked = {address.lower() for pair in digests for address in pair if address}
    return _file_addresses(session) | asked


def _forget_emails_to(session: Session, addresses: set[str]) -> None:
    """A person taken out of the file is erased as the file can erase them: the emails
    waiting for or sent to their address go with it (as /partners remove does for Slack's)."""
    if addresses:
        session.connection().execute(
            delete(EmailDelivery).where(
                func.lower(col(EmailDelivery.recipient)).in_(addresses), ours(EmailDelivery)
            )
        )


def _apply_settings(session: Session, spec: PartnershipSpec, report: LoadReport) -> None:
    row = session.get(Partnership, current_partnership())
    before = None if row is None else row.model_dump()
    row = row or Partnership(id=current_partnership())
    row.name = spec.name
    row.privacy_policy = spec.privacy
    row.updates_channel = spec.channels["updates"]
    row.opportunities_channel = spec.channels["opportunities"]
    row.digest_channel = spec.channels["digest"]
    row.schedule = spec.schedule.to_json()
    row.bank_holidays = spec.bank_holidays
    row.timezone = spec.timezone
    row.followup_after = spec.followup_after
    row.retention = json.dumps(spec.retention) if spec.retention else ""
    row.report_format = spec.report_format
    row.emails_per_minute = spec.emails_per_minute
    row.jargon_stoplist = list(spec.jargon_stoplist)
    report.partnership.count(before, row.model_dump())
    session.add(row)


def _apply_coordinator(session: Session, slack: str, name: str, report: LoadReport) -> None:
    member = session.exec(select(Member).where(Member.slack_user_id == slack)).first()
    before = None if member is None else member.is_coordinator
    member = member or Member(slack_user_id=slack, name=name)
    member.is_coordinator = True
    if not member.name:
        member.name = name
    report.coordinators.count(before, True)
    session.add(member)


def _apply_email_coordinators(
    session: Session, coordinators: tuple[CoordinatorSpec, ...], report: LoadReport
) -> None:
    """Coordinators reached by email alone, as the file lists them: added, renamed, and
    removed when taken out (or given a Slack id), since only the file makes them."""
    rows = {row.email.lower(): row for row in session.exec(select(EmailCoordinator))}
    wanted = {
        c.email.lower(): (gate.trusted(c.name), c.email)  # the file's, checked by its loader
        for c in coordinators
        if c.email and not c.slack
    }
    for address, row in rows.items():
        if address not in wanted:
            session.delete(row)
    for address, (name, email) in wanted.items():
        found = rows.get(address)
        before = None if found is None else (found.name, found.email)
        row = found or EmailCoordinator(name=name, email=email)
        row.name, row.email = name, email
        report.coordinators.count(before, (row.name, row.email))
        session.add(row)


def _apply_organisation(session: Session, spec: OrganisationSpec, report: LoadReport) -> None:
    row = session.exec(select(Organisation).where(Organisation.code == spec.code)).first()
    before = None if row is None else _organisation_state(session, row)
    row = row or Organisation(code=spec.code, name=spec.name)
    row.name = spec.name
    # Read through the guard under the file's own policy (read._Checker.guarded_text).
    row.description = gate.trusted(spec.description)
    row.address = spec.address
    row.visitor_protocol = gate.trusted(spec.visitor_protocol)
    session.add(row)
    session.flush()

    workers = session.exec(select(KeyWorker).where(KeyWorker.organisation_id == row.id)).all()
    by_name = {worker.name: worker for worker in workers}
    wanted_names = {wanted.name for wanted in spec.key_workers}
    for worker in workers:
        if worker.name not in wanted_names:
            session.delete(worker)
    for wanted in spec.key_workers:
        worker = by_name.get(wanted.name) or KeyWorker(organisation_id=row.id, name=wanted.name)
        worker.slack_user_id = wanted.slack or worker.slack_user_id
        worker.email = wanted.email
        session.add(worker)

    offer = session.get(HotdeskOffer, row.id)
    if spec.hotdesk is None:
        if offer is not None:
            session.delete(offer)
    else:
        offer = offer or HotdeskOffer(organisation_id=row.id)
        offer.desks = spec.hotdesk.desks
        offer.weekdays = list(spec.hotdesk.weekdays)
        offer.half_days = spec.hotdesk.half_days
        offer.needs_approval = spec.hotdesk.needs_approval
        offer.closures = [day.isoformat() for day in spec.hotdesk.closures]
        offer.closed_on_bank_holidays = spec.hotdesk.closed_on_bank_holidays
        offer.max_days_ahead = spec.hotdesk.max_days_ahead
        session.add(offer)
    session.flush()
    report.organisations.count(before, _organisation_state(session, row))


def _apply_people(session: Session, people: tuple[PersonSpec, ...], report: LoadReport) -> None:
    """[[people]] as the file lists them: added, updated, and removed when taken out."""
    organisations = dict(session.exec(select(Organisation.code, Organisation.id)).all())
    rows = {(row.organisation_id, row.name): row for row in session.exec(select(PartnerPerson))}
    wanted = {(organisations[p.organisation], p.name): p for p in people}
    for key, row in rows.items():
        if key not in wanted:
            session.delete(row)
    for key, spec in wanted.items():
        found = rows.get(key)
        before = None if found is None else (found.email, found.role)
        name = gate.trusted(spec.name)  # the file's, checked by its loader
        row = found or PartnerPerson(organisation_id=key[0], name=name, email=spec.email)
        row.email, row.role = spec.email, gate.trusted(spec.role)
        report.people.count(before, (row.email, row.role))
        session.add(row)


def _organisation_state(session: Session, row: Organisation) -> tuple:
    """A comparable snapshot, so a reload can tell 'updated' from 'unchanged'."""
    workers = session.exec(
        select(KeyWorker.name, KeyWorker.slack_user_id)
        .where(KeyWorker.organisation_id == row.id)
        .order_by(KeyWorker.name)
    ).all()
    offer = session.get(HotdeskOffer, row.id)
    return (
        row.name,
        row.description,
        row.address,
        row.visitor_protocol,
        tuple(workers),
        offer
        and (
            offer.desks,
            offer.weekdays,
            offer.half_days,
            offer.needs_approval,
            offer.closures,
            offer.closed_on_bank_holidays,
            offer.max_days_ahead,
        ),
    )
