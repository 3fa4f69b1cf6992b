"""The partnership's directory: organisations, members, key workers and coordinators.

Plain Python on the database: it knows nothing of Slack. A member's name and time zone come
through a `ProfileLoader` the caller supplies (the Slack side passes one that calls
`users.info`), and are cached on the member row for a day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, read_scope, session_scope
from bot.models import (
    EmailCoordinator,
    HotdeskOffer,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    utcnow,
)
from bot.partnership_cache import kept
from bot.services import audit
from bot.services.gate import Reach, clear_fields
from bot.services.matching import best_match
from bot.services.refusal import Refusal
from bot.services.text import clean

PROFILE_TTL = timedelta(hours=24)
CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,11}$")
NAME_MAX = 150
TEXT_MAX = 2000
ADDRESS_MAX = 500


@dataclass(frozen=True)
class Profile:
    """What Slack tells us about a person, as far as the directory needs it."""

    name: str
    display_name: str = ""
    tz: str | None = None
    email: str | None = None  # the profile's address (scope users:read.email), never stored
    team: str | None = None  # their own workspace's team id (another's in Slack Connect)


ProfileLoader = Callable[[str], Profile | None]


class DirectoryError(Refusal):
    """A request the directory refuses; `str()` is a sentence fit to show the person."""


class NotCoordinator(DirectoryError):
    def __init__(self, action: str) -> None:
        super().__init__(
            f"Only the partnership's coordinators can {action}. "
            "If that should be you, ask a coordinator to run `/partners coordinator add @you`."
        )


@dataclass(frozen=True)
class OrganisationRef:
    code: str
    name: str


class UnknownOrganisation(DirectoryError):
    """No organisation matches; `suggestions` are the closest, offered to join (`to_join`) or
    to look at."""

    def __init__(
        self, query: str, suggestions: Sequence[OrganisationRef], to_join: bool = False
    ) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        self.to_join = to_join
        super().__init__(f"No organisation matches “{query}”.")


@dataclass(frozen=True)
class Offer:
    desks: int
    weekdays: tuple[str, ...]
    half_days: bool
    needs_approval: bool


@dataclass(frozen=True)
class Person:
    name: str
    slack_user_id: str | None
    email: str = ""  # partner staff not on Slack ([[people]]): how to reach them
    role: str = ""


@dataclass(frozen=True)
class OrganisationCard:
    """Everything the directory shows about one organisation."""

    code: str
    name: str
    description: str
    address: str
    visitor_protocol: str
    key_workers: list[Person]
    offer: Offer | None
    member_ids: list[str]
    by_email: list[Person] = field(default_factory=list)  # the file's [[people]], not on Slack


@dataclass(frozen=True)
class OrganisationSummary:
    code: str
    name: str
    description: str
    member_count: int
    offers_desks: bool


@dataclass(frozen=True)
class MemberSummary:
    slack_user_id: str
    name: str
    organisation: str | None  # its name


@dataclass(frozen=True)
class JoinResult:
    organisation: OrganisationRef
    previous: OrganisationRef | None
    already_member: bool


@dataclass(frozen=True)
class MemberView:
    slack_user_id: str
    name: str
    organisation: OrganisationRef | None
    is_coordinator: bool
    key_worker_for: list[OrganisationRef] = field(default_factory=list)
    digest_dm: bool = False
    name_in_digest: bool = False
    visit_stories: bool = True
    digest_email: str | None = None  # where the digest goes by email, once confirmed
    digest_email_asked: str | None = None  # an address awaiting its confirmation


@dataclass(frozen=True)
class OrganisationEdit:
    """New values from the edit form; key workers given by Slack id replace those with ids."""

    name: str
    description: str
    address: str
    visitor_protocol: str
    key_worker_ids: list[str]


class Directory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Members -------------------------------------------------------------------------------

    def whoami(self, user_id: str, load_profile: ProfileLoader) -> MemberView:
        load_profile = profiles_ahead(self.engine, [user_id], load_profile)
        with session_scope(self.engine) as session:
            member = ensure_member(session, user_id, load_profile)
            organisation = _organisation_of(session, member)
            key_for = session.exec(
                select(Organisation)
                .join(KeyWorker)
                .where(KeyWorker.slack_user_id == user_id)
                .order_by(Organisation.name)
            ).all()
            return MemberView(
                slack_user_id=user_id,
                name=member.name or user_id,
                organisation=_ref(organisation) if organisation else None,
                is_coordinator=member.is_coordinator,
                key_worker_for=[_ref(org) for org in key_for],
                digest_dm=member.digest_dm,
                name_in_digest=member.name_in_digest,
                visit_stories=member.visit_stories,
                digest_email=member.digest_email,
                digest_email_asked=member.digest_email_asked,
            )

    def join(self, user_id: str, query: str, load_profile: ProfileLoader) -> JoinResult:
        """Put the member in the organisation the query names, moving them if need be."""
        load_profile = profiles_ahead(self.engine, [user_id], load_profile)
        with session_scope(self.engine) as session:
            organisation = find_organisation(session, query, to_join=True)
            member = ensure_member(session, user_id, load_profile)
            previous = _organisation_of(session, member)
            if previous is not None and previous.id == organisation.id:
                return JoinResult(_ref(organisation), None, already_member=True)
            member.organisation_id = organisation.id
            member.joined_at = utcnow()
            session.add(member)
            return JoinResult(
                _ref(organisation), _ref(previous) if previous else None, already_member=False
            )

    def set_digest_dm(self, user_id: str, wanted: bool, load_profile: ProfileLoader) -> None:
        """Whether the weekly digest also comes to this member by DM (off unless asked)."""
        self._set_member(user_id, load_profile, digest_dm=wanted)

    def set_name_in_digest(self, user_id: str, wanted: bool, load_profile: ProfileLoader) -> None:
        """Whether the digest may name this member as a hot-desk visitor (else only their
        organisation is counted): off unless they agree."""
        self._set_member(user_id, load_profile, name_in_digest=wanted)

    def set_visit_stories(self, user_id: str, wanted: bool, load_profile: ProfileLoader) -> None:
        """Whether, the working day after a hot-desk visit, they are asked how it went (on
        unless they turn it off)."""
        self._set_member(user_id, load_profile, visit_stories=wanted)

    def _set_member(self, user_id: str, load_profile: ProfileLoader, **settings: bool) -> None:
        load_profile = profiles_ahead(self.engine, [user_id], load_profile)
        with session_scope(self.engine) as session:
            member = ensure_member(session, user_id, load_profile)
            for setting, value in settings.items():
                setattr(member, setting, value)
            session.add(member)

    def add_coordinator(self, actor_id: str, user_id: str, load_profile: ProfileLoader) -> bool:
        """Make `user_id` a coordinator; False when they already were one."""
        load_profile = profiles_ahead(self.engine, [user_id], load_profile)
        with session_scope(self.engine) as session:
            _require_coordinator(session, actor_id, "add coordinators")
            member = ensure_member(session, user_id, load_profile)
            if member.is_coordinator:
                return False
            member.is_coordinator = True
            session.add(member)
            audit.record(session, actor_id, "coordinator added", user_id)
            return True

    def coordinators_by_email(self) -> list[str]:
        """The names of the coordinators the partnership file reaches by email alone."""
        with read_scope(self.engine) as session:
            return list(
                session.exec(select(EmailCoordinator.name).order_by(EmailCoordinator.name)).all()
            )

    def coordinator_ids(self) -> list[str]:
        with read_scope(self.engine) as session:
            return list(
                session.exec(
                    select(Member.slack_user_id)
                    .where(col(Member.is_coordinator))
                    .order_by(Member.slack_user_id)
                ).all()
            )

    def members(self) -> list[MemberSummary]:
        """Every member whose name is known, by name, with their organisation's name."""
        with read_scope(self.engine) as session:
            names = dict(session.exec(select(Organisation.id, Organisation.name)).all())
            members = session.exec(
                select(Member).where(col(Member.name) != "").order_by(Member.name)
            ).all()
            return [
                MemberSummary(m.slack_user_id, m.name, names.get(m.organisation_id or 0))
                for m in members
            ]

    # Organisations --------------------------------------------------------------------------

    def organisations(self) -> list[OrganisationSummary]:
        with read_scope(self.engine) as session:
            member_counts = dict(
                session.exec(
                    select(Member.organisation_id, func.count())
                    .where(col(Member.organisation_id).is_not(None))
                    .group_by(col(Member.organisation_id))
                ).all()
            )
            hosts = set(session.exec(select(HotdeskOffer.organisation_id)).all())
            return [
                OrganisationSummary(
                    code=org.code,
                    name=org.name,
                    description=org.description,
                    member_count=member_counts.get(org.id, 0),
                    offers_desks=org.id in hosts,
                )
                for org in session.exec(select(Organisation).order_by(Organisation.name)).all()
            ]

    def organisation(self, query: str) -> OrganisationCard:
        with read_scope(self.engine) as session:
            return _card(session, find_organisation(session, query))

    def add_organisation(self, actor_id: str, code: str, name: str) -> OrganisationRef:
        with session_scope(self.engine) as session:
            _require_coordinator(session, actor_id, "add organisations")
            code, name = clean(code).upper(), " ".join(clean(name).split())
            if not CODE_PATTERN.match(code):
                raise DirectoryError(
                    f"“{code}” can't be a short code: use 2–12 letters or digits, "
                    "starting with a letter (e.g. `HRS`)."
                )
            _check_name(name)
            _require_unique(session, code, name, exclude_id=None)
            organisation = Organisation(code=code, name=name)
            session.add(organisation)
            audit.record(session, actor_id, "organisation added", f"{code} {name}")
            return _ref(organisation)

    def edit_organisation(
        self, actor_id: str, code: str, edit: OrganisationEdit, anyway: bool = False
    ) -> OrganisationRef:
        """Save the edit form. Makes no Slack calls, so it can run before the form is acked.

        The description and visitor protocol reach other organisations: FieldsLookPersonal
        (nothing saved) when the privacy guard holds either back, unless `anyway` and the
        partnership's policy allows it."""
        with session_scope(self.engine) as session:
            _require_coordinator(session, actor_id, "change the directory")
            organisation = find_organisation(session, code)
            name = " ".join(clean(edit.name).split())
            _check_name(name)
            _require_unique(session, organisation.code, name, exclude_id=organisation.id)
            for label, value, limit in (
                ("description", edit.description, TEXT_MAX),
                ("address", edit.address, ADDRESS_MAX),
                ("visitor protocol", edit.visitor_protocol, TEXT_MAX),
            ):
                if len(value) > limit:
                    raise DirectoryError(
                        f"The {label} is {len(value)} characters; the limit is {limit}."
                    )
            text = clear_fields(
                session,
                {
                    "name": (name, Reach.PUBLIC),
                    "description": (clean(edit.description), Reach.OTHERS),
                    "address": (clean(edit.address), Reach.PUBLIC),
                    "protocol": (clean(edit.visitor_protocol), Reach.OTHERS),
                },
                anyway,
            )
            organisation.name = text["name"]
            organisation.description = text["description"]
            organisation.address = text["address"]
            organisation.visitor_protocol = text["protocol"]
            organisation.updated_at = utcnow()
            session.add(organisation)
            replace_slack_key_workers(session, organisation, edit.key_worker_ids)
            audit.record(session, actor_id, "organisation edited", organisation.code)
            return _ref(organisation)

    def view_for_edit(self, actor_id: str, query: str) -> OrganisationCard:
        """The organisation as the edit form should start, for coordinators only."""
        with read_scope(self.engine) as session:
            _require_coordinator(session, actor_id, "change the directory")
            return _card(session, find_organisation(session, query))


# Helpers shared by the methods above -----------------------------------------------------------


@kept
def organisation_refs(session: Session) -> Mapping[int, OrganisationRef]:
    """Every organisation's code and name, by id."""
    rows = session.exec(select(Organisation.id, Organisation.code, Organisation.name)).all()
    return MappingProxyType({org_id: OrganisationRef(code, name) for org_id, code, name in rows})


def _ref(organisation: Organisation) -> OrganisationRef:
    return OrganisationRef(code=organisation.code, name=organisation.name)


def find_organisation(session: Session, query: str, to_join: bool = False) -> Organisation:
    organisations = session.exec(select(Organisation)).all()
    match = best_match(query, organisations, lambda org: (org.name, org.code))
    if match.found is None:
        raise UnknownOrganisation(query, [_ref(org) for org in match.suggestions], to_join)
    return match.found


def _organisation_of(session: Session, member: Member) -> Organisation | None:
    if member.organisation_id is None:
        return None
    return session.get(Organisation, member.organisation_id)


def profiles_ahead(
    engine: Engine, user_ids: Sequence[str], load_profile: ProfileLoader
) -> ProfileLoader:
    """Fetch, before any transaction opens, the profiles `ensure_member` will want refreshed:
    Slack is never called while the database holds a lock for it. The loader returned answers
    from what was fetched (None: the stored profile is fresh)."""
    wanted = set(user_ids)
    with read_scope(engine) as session:
        fresh = set(
            session.exec(
                select(Member.slack_user_id).where(
                    col(Member.slack_user_id).in_(wanted),
                    col(Member.profile_fetched_at) > utcnow() - PROFILE_TTL,
                )
            ).all()
        )
    fetched = {user_id: load_profile(user_id) for user_id in wanted - fresh}
    return fetched.get


def ensure_member(session: Session, user_id: str, load_profile: ProfileLoader) -> Member:
    """The member row for a Slack user, created on first sight, profile refreshed daily."""
    insert_ignoring_conflict(  # two clicks at once must not both create the member
        session,
        Member.__table__,
        {"slack_user_id": user_id, "name": "", "display_name": "", "is_coordinator": False},
    )
    member = session.exec(select(Member).where(Member.slack_user_id == user_id)).one()
    fetched = member.profile_fetched_at
    if fetched is None or utcnow() - fetched > PROFILE_TTL:
        profile = load_profile(user_id)
        if profile is not None:
            member.name = profile.name[:NAME_MAX]
            member.display_name = profile.display_name[:NAME_MAX]
            member.tz = profile.tz
            member.slack_team_id = profile.team
            member.profile_fetched_at = utcnow()
    session.add(member)
    session.flush()
    return member


def is_coordinator(session: Session, user_id: str) -> bool:
    return bool(
        session.exec(select(Member.is_coordinator).where(Member.slack_user_id == user_id)).first()
    )


def coordinators_in(session: Session) -> list[str]:
    """The coordinators' Slack ids, in a stable order."""
    return list(
        session.exec(
            select(Member.slack_user_id)
            .where(col(Member.is_coordinator))
            .order_by(col(Member.slack_user_id))
        ).all()
    )


def _require_coordinator(session: Session, user_id: str, action: str) -> None:
    is_coordinator = session.exec(
        select(Member.is_coordinator).where(Member.slack_user_id == user_id)
    ).first()
    if not is_coordinator:
        raise NotCoordinator(action)


def _check_name(name: str) -> None:
    if not name:
        raise DirectoryError("An organisation needs a name.")
    if len(name) > NAME_MAX:
        raise DirectoryError(f"That name is {len(name)} characters; the limit is {NAME_MAX}.")


def _require_unique(session: Session, code: str, name: str, exclude_id: int | None) -> None:
    clash = session.exec(
        select(Organisation).where(
            (func.upper(Organisation.code) == code.upper())
            | (func.lower(Organisation.name) == name.lower())
        )
    ).all()
    for organisation in clash:
        if organisation.id != exclude_id:
            raise DirectoryError(
                f"{organisation.name} ({organisation.code}) already uses that name or code."
            )


def _card(session: Session, organisation: Organisation) -> OrganisationCard:
    key_workers = session.exec(
        select(KeyWorker)
        .where(KeyWorker.organisation_id == organisation.id)
        .order_by(KeyWorker.name)
    ).all()
    people = session.exec(
        select(PartnerPerson)
        .where(PartnerPerson.organisation_id == organisation.id)
        .order_by(PartnerPerson.name)
    ).all()
    offer = session.get(HotdeskOffer, organisation.id)
    member_ids = session.exec(
        select(Member.slack_user_id)
        .where(Member.organisation_id == organisation.id)
        .order_by(Member.name)
    ).all()
    return OrganisationCard(
        code=organisation.code,
        name=organisation.name,
        description=organisation.description,
        address=organisation.address,
        visitor_protocol=organisation.visitor_protocol,
        key_workers=[Person(worker.name, worker.slack_user_id) for worker in key_workers],
        by_email=[Person(p.name, None, p.email, p.role) for p in people],
        offer=Offer(
            desks=offer.desks,
            weekdays=tuple(offer.weekdays),
            half_days=offer.half_days,
            needs_approval=offer.needs_approval,
        )
        if offer
        else None,
        member_ids=list(member_ids),
    )


def replace_slack_key_workers(
    session: Session, organisation: Organisation, user_ids: list[str]
) -> None:
    """Key workers picked in Slack replace those with Slack ids; name-only entries stay."""
    existing = session.exec(
        select(KeyWorker).where(KeyWorker.organisation_id == organisation.id)
    ).all()
    for worker in existing:
        if worker.slack_user_id and worker.slack_user_id not in user_ids:
            session.delete(worker)
    linked = {worker.slack_user_id for worker in existing}
    known_names = dict(
        session.exec(
            select(Member.slack_user_id, Member.name).where(col(Member.slack_user_id).in_(user_ids))
        ).all()
    )
    for user_id in user_ids:
        if user_id in linked:
            continue
        name = known_names.get(user_id) or user_id
        # A name-only entry for the same person gets the Slack id rather than a twin.
        twin = next((w for w in existing if w.name == name and not w.slack_user_id), None)
        worker = twin or KeyWorker(organisation_id=organisation.id, name=name)
        worker.slack_user_id = user_id
        session.add(worker)
