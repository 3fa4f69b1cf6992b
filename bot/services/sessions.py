"""Partnership sessions, the commitments made there, and their follow-up.

What is recorded is what the group chose to record: a title, a kind, who came, the next date,
and commitments (owner, what, by when). The follow-up rules live here: when each owner is
nudged (working days, 09:00–17:00 in their own time zone, at most three times, never once
done), when members are invited to the next session and reminded, when coordinators get
their summary. Whether a nudge was already sent is the job's claim, not a flag here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from bot.db import insert_ignoring_conflict, read_scope, session_scope
from bot.models import (
    Commitment,
    EmailCoordinator,
    KeyWorker,
    Member,
    Organisation,
    PartnerPerson,
    PartnershipSession,
    Rsvp,
    SessionOrganisation,
    utcnow,
)
from bot.partnership_cache import partnership_settings
from bot.services import audit, outbox
from bot.services.coordinators import tell as tell_coordinators
from bot.services.directory import (
    OrganisationRef,
    ProfileLoader,
    ensure_member,
    find_organisation,
    is_coordinator,
    profiles_ahead,
)
from bot.services.email import coordinators as emails
from bot.services.email import links
from bot.services.email.links import Mailing
from bot.services.gate import Cleared, Reach, clear_fields
from bot.services.outbox import Notices, Written
from bot.services.refusal import Refusal
from bot.services.text import clean
from bot.services.working_days import WorkingDays

KINDS = {
    "reflective": "Reflective practice",
    "operational": "Operational meeting",
    "strategic": "Strategic meeting",
    "training": "Shared training",
}
STATUSES = {"open": "open", "working": "still working", "help": "needs help", "done": "done"}
ANSWERS = {"coming": "coming", "cant": "can't make it", "colleague": "sending a colleague"}
TITLE_MAX = 150
WHAT_MAX = 500
NOTE_MAX = 500
PLACE_MAX = 300
NUDGES_MAX = 3
WORKING_HOURS = (time(9), time(17))
INVITE_BEFORE = timedelta(days=7)
REMIND_BEFORE = timedelta(days=2)
COMMIT_FOR_EMAIL_OWNER = '/session commit "Jamal Hussain" send the referral leaflet by 12/12'


class SessionProblem(Refusal):
    """A request refused: `str()` is the sentence to show, with an example that works."""

    def __init__(self, message: str, example: str = "") -> None:
        super().__init__(message, example)


class SessionInvalid(SessionProblem):
    """The form's problems by field, to show next to each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class CommitmentInput:
    owner_id: str  # a Slack id; "" for a key worker reached by email, named by `owner_name`
    what: str
    due_on: date | None = None
    owner_name: str = ""  # a key worker in the partnership file with an email and no Slack


@dataclass(frozen=True)
class SessionInput:
    title: str
    kind: str
    held_on: date
    organisations: tuple[str, ...] = ()  # codes
    next_on: date | None = None
    next_place: str = ""
    commitments: tuple[CommitmentInput, ...] = ()


@dataclass(frozen=True)
class CommitmentView:
    id: int
    session_id: int
    session_title: str
    owner_id: str
    what: str
    due_on: date | None
    status: str
    note: str
    owner_name: str = ""  # a key worker reached by email (owner_id is then "")

    @property
    def ref(self) -> str:
        return f"C{self.id}"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


@dataclass(frozen=True)
class SessionView:
    id: int
    title: str
    kind: str
    held_on: date
    next_on: date | None
    next_place: str
    organisations: list[OrganisationRef] = field(default_factory=list)
    commitments: list[CommitmentView] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"S{self.id}"

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class StatusChange:
    commitment: CommitmentView
    changed: bool
    coordinator_ids: list[str]  # to tell when someone needs help
    notices: tuple[Written, ...] = ()  # written with the change, to send after the commit


@dataclass(frozen=True)
class EmailOwner:
    """An owner not on Slack, reached by email: a key worker in the partnership file (with an
    email, no Slack id), or one of its [[people]]."""

    table: type[KeyWorker] | type[PartnerPerson]
    id: int

    @property
    def column(self) -> str:
        """The commitment's column naming such an owner."""
        return "owner_key_worker_id" if self.table is KeyWorker else "owner_person_id"

    def row(self, session: Session) -> KeyWorker | PartnerPerson | None:
        """Their row in the partnership file's tables: name, email; None once removed."""
        if self.table is KeyWorker:
            return session.get(KeyWorker, self.id)
        return session.get(PartnerPerson, self.id)

    @classmethod
    def of(cls, row: Commitment) -> EmailOwner | None:
        if row.owner_id:
            return None
        if row.owner_key_worker_id:
            return cls(KeyWorker, row.owner_key_worker_id)
        return cls(PartnerPerson, row.owner_person_id) if row.owner_person_id else None

    def __str__(self) -> str:
        return f"{'kw' if self.table is KeyWorker else 'p'}{self.id}"


@dataclass(frozen=True)
class Due:
    """One reason to write to people now; the job claims (scope, period) before sending."""

    scope: str
    period: str
    session_id: int
    owner_id: str | None = None  # for follow-ups and nudges
    commitment_id: int | None = None  # for nudges
    email_owner: EmailOwner | None = None  # an owner reached by email, instead of `owner_id`


@dataclass(frozen=True)
class Summary:
    """The coordinators' picture before the next session."""

    session: SessionView
    by_status: dict[str, int]
    answers: dict[str, dict[str, int]]  # organisation name → answer → count
    silent: list[str]  # organisations from which nobody answered


class Sessions:
    def __init__(self, engine: Engine, zone: ZoneInfo, mailing: Mailing | None = None) -> None:
        self.engine = engine
        self.zone = zone
        self.mailing = mailing  # to read the links of follow-up emails

    # Recording ----------------------------------------------------------------------------------

    def check(self, entry: SessionInput, today: date) -> None:
        """Raise SessionInvalid with each field's problem; nothing is written."""
        errors = {}
        if not clean(entry.title):
            errors["title"] = "Give the session a title."
        elif len(clean(entry.title)) > TITLE_MAX:
            errors["title"] = f"That's {len(entry.title)} characters; the limit is {TITLE_MAX}."
        if entry.kind not in KINDS:
            errors["kind"] = f"Choose a kind: {', '.join(KINDS.values())}."
        if entry.held_on > today:
            errors["held_on"] = "Record a session once it has happened."
        if entry.next_on and entry.next_on <= entry.held_on:
            errors["next_on"] = "The next session comes after this one."
        if len(entry.next_place) > PLACE_MAX:
            errors["next_place"] = f"The limit is {PLACE_MAX} characters."
        for number, commitment in enumerate(entry.commitments, start=1):
            problem = _commitment_problem(commitment, entry.held_on)
            if problem:
                errors[f"what_{number}"] = problem
        if errors:
            raise SessionInvalid(errors)

    def review(self, entry: SessionInput, today: date, anyway: bool = False) -> None:
        """What `record` checks, writing nothing (forms answer first): SessionInvalid, then
        FieldsLookPersonal for the title and each commitment the privacy guard holds back."""
        self.check(entry, today)
        with session_scope(self.engine) as session:
            _cleared_entry(session, entry, anyway)

    def record(
        self,
        user_id: str,
        entry: SessionInput,
        today: date,
        load_profile: ProfileLoader,
        anyway: bool = False,
    ) -> SessionView:
        """A coordinator records a session, its attendance and its commitments, in one go;
        the title and commitments reach others, so they pass the gate (see `review`)."""
        self.check(entry, today)
        owners = [commitment.owner_id for commitment in entry.commitments if commitment.owner_id]
        load_profile = profiles_ahead(self.engine, owners, load_profile)
        with session_scope(self.engine) as session:
            _require_coordinator(session, user_id, "record sessions")
            text = _cleared_entry(session, entry, anyway)
            row = PartnershipSession(
                title=text["title"], kind=entry.kind, held_on=entry.held_on,
                next_on=entry.next_on, next_place=text["next_place"], created_by=user_id,
            )  # fmt: skip
            session.add(row)
            session.flush()
            for code in dict.fromkeys(entry.organisations):
                organisation = find_organisation(session, code)
                session.add(SessionOrganisation(session_id=row.id, organisation_id=organisation.id))
            for number, commitment in enumerate(entry.commitments, start=1):
                what = text[f"what_{number}"]
                _add_commitment(session, row, commitment, what, user_id, load_profile)
            session.flush()
            audit.record(session, user_id, "session recorded", f"S{row.id} {row.title}")
            return session_view(session, row)

    def commit(
        self,
        user_id: str,
        commitment: CommitmentInput,
        today: date,
        load_profile: ProfileLoader,
    ) -> CommitmentView:
        """Add a commitment to the latest session: members their own, coordinators anyone's.
        FieldsLookPersonal (field `what`), and nothing recorded, when the privacy guard holds
        the text back: a command has no "anyway"."""
        owners = [commitment.owner_id] if commitment.owner_id else []
        load_profile = profiles_ahead(self.engine, owners, load_profile)
        with session_scope(self.engine) as session:
            latest = session.exec(
                select(PartnershipSession).order_by(
                    col(PartnershipSession.held_on).desc(), col(PartnershipSession.id).desc()
                )
            ).first()
            if latest is None:
                raise SessionProblem(
                    "No session has been recorded yet: a coordinator starts with `/session new`."
                )
            if commitment.owner_id != user_id:
                _require_coordinator(session, user_id, "add commitments for someone else")
            problem = _commitment_problem(commitment, min(latest.held_on, today))
            if problem:
                raise SessionProblem(
                    problem, "/session commit me share the job description by 12/12"
                )
            what = clear_fields(session, {"what": (_tidy(commitment.what), Reach.OTHERS)})
            row = _add_commitment(session, latest, commitment, what["what"], user_id, load_profile)
            session.flush()
            if commitment.owner_id != user_id:
                audit.record(session, user_id, "commitment added", f"C{row.id} for someone")
            return _commitment_views(session, [row])[0]

    # Looking ------------------------------------------------------------------------------------

    def owners_by_email(self) -> list[str]:
        """The names of those in the partnership file reached by email (a key worker with an
        email and no Slack id, its [[people]]) who may own a commitment: each name once in the
        file, so that choosing it names one person."""
        with read_scope(self.engine) as session:
            names = [
                *session.exec(
                    select(KeyWorker.name).where(
                        col(KeyWorker.email).is_not(None), col(KeyWorker.slack_user_id).is_(None)
                    )
                ),
                *session.exec(select(PartnerPerson.name)),
            ]
        counts: dict[str, int] = {}
        for name in names:
            counts[_named(name)] = counts.get(_named(name), 0) + 1
        return sorted({n for n in names if counts[_named(n)] == 1}, key=str.lower)

    def recent(self, limit: int = 10) -> list[SessionView]:
        with read_scope(self.engine) as session:
            rows = session.exec(
                select(PartnershipSession)
                .order_by(col(PartnershipSession.held_on).desc(), col(PartnershipSession.id).desc())
                .limit(limit)
            ).all()
            return [session_view(session, row) for row in rows]

    def show(self, session_id: int) -> SessionView:
        with read_scope(self.engine) as session:
            row = session.get(PartnershipSession, session_id)
            if row is None:
                raise SessionProblem(f"There is no session S{session_id}.", "/session list")
            return session_view(session, row)

    def mine(self, user_id: str) -> list[CommitmentView]:
        with read_scope(self.engine) as session:
            rows = session.exec(
                select(Commitment)
                .where(Commitment.owner_id == user_id, Commitment.status != "done")
                .order_by(col(Commitment.due_on).is_(None), col(Commitment.due_on))
            ).all()
            return _commitment_views(session, rows)

    # Answering ----------------------------------------------------------------------------------

    def review_note(self, note: str, anyway: bool = False) -> None:
        """What `set_status` checks of a "need help" note, writing nothing (the form answers
        first): FieldsLookPersonal (field `note`) when the privacy guard holds it back."""
        note = clean(note)[:NOTE_MAX]
        if note:
            with session_scope(self.engine) as session:
                clear_fields(session, {"note": (note, Reach.OTHERS)}, anyway)

    def set_status(
        self,
        user_id: str,
        commitment_id: int,
        status: str,
        note: str = "",
        anyway: bool = False,
        *,
        notices: Notices[StatusChange],
    ) -> StatusChange:
        """Done, still working or need help (with a note), by the owner or a coordinator. The
        note goes to the coordinators (`notices`, written with the change), so it passes the
        gate (see `review_note`). An owner reached by email answers with `answer_by_link`."""
        with session_scope(self.engine) as session:
            row = _locked(session, commitment_id)
            if user_id != row.owner_id and not is_coordinator(session, user_id):
                raise SessionProblem("Only the commitment's owner or a coordinator can change it.")
            by_owner = user_id == row.owner_id
            return _change(
                session, row, status, note, anyway, notices, None if by_owner else user_id,
                self.mailing,
            )  # fmt: skip

    def answer_by_link(
        self, link: links.Link, note: str = "", *, notices: Notices[StatusChange]
    ) -> StatusChange:
        """An owner not on Slack answers a follow-up email (Done, Still working, Need help with
        a note), after confirming on the link's page: the change `set_status` makes, and the
        link used once, in one transaction. A note the privacy guard holds back raises
        FieldsLookPersonal, and the link stays unused."""
        links.meant_for(link, STATUSES)
        with session_scope(self.engine) as session:
            row = _locked(session, link.row_id)
            links.use(session, link)
            return _change(session, row, link.purpose, note, False, notices, None, self.mailing)

    def commitment_for_link(self, link: links.Link) -> tuple[CommitmentView, bool]:
        """What a follow-up email's link is about, changing nothing (mail scanners follow
        links): the commitment and whether the link was used already."""
        links.meant_for(link, STATUSES)
        with session_scope(self.engine) as session:
            row = _locked(session, link.row_id, lock=False)
            return _commitment_views(session, [row])[0], links.was_used(session, link)

    def rsvp(self, user_id: str, session_id: int, answer: str) -> tuple[SessionView, bool]:
        """Coming, can't make it, or sending a colleague; the last answer counts."""
        if answer not in ANSWERS:
            raise SessionProblem("Answer coming, can't make it, or sending a colleague.")
        with session_scope(self.engine) as session:
            row = session.get(PartnershipSession, session_id)
            if row is None or row.next_on is None:
                raise SessionProblem("That invitation is no longer open.")
            values = {"session_id": session_id, "member_id": user_id, "answer": answer}
            changed = bool(
                insert_ignoring_conflict(session, Rsvp.__table__, values | {"updated_at": utcnow()})
            )
            if not changed:
                moved = session.connection().execute(
                    update(Rsvp)
                    .where(
                        col(Rsvp.session_id) == session_id,
                        col(Rsvp.member_id) == user_id,
                        col(Rsvp.answer) != answer,
                    )
                    .values(answer=answer, updated_at=utcnow())
                )
                changed = moved.rowcount == 1
            return session_view(session, row), changed

    # What the follow-up job should do now ---------------------------------------------------------

    def due(self, now: datetime) -> list[Due]:
        """Every reason to write to someone at `now`; the job claims each before sending."""
        with read_scope(self.engine) as session:
            settings = partnership_settings(session)
            working = WorkingDays(settings.bank_holidays)
            zones = dict(session.exec(select(Member.slack_user_id, Member.tz)).all())
            rows = session.exec(
                select(Commitment, PartnershipSession)
                .join(PartnershipSession)
                .where(Commitment.status != "done", Commitment.nudges < NUDGES_MAX)
            ).all()
            found: list[Due] = []
            for commitment, meeting in rows:
                by_email = EmailOwner.of(commitment)
                owner = commitment.owner_id or str(by_email or "")
                if not owner:  # someone since removed from the file: nobody to ask
                    continue
                local = _in_zone(now, zones.get(commitment.owner_id), self.zone)
                if not _in_working_hours(local, working):
                    continue
                followup_on = meeting.held_on
                for _ in range(settings.followup_after):
                    followup_on = working.next_after(followup_on)
                if local.date() >= followup_on:
                    found.append(
                        Due(
                            f"followup-{meeting.id}-{owner}",
                            "followup",
                            meeting.id,
                            commitment.owner_id or None,
                            email_owner=by_email,
                        )
                    )
                reason = _nudge_reason(commitment.due_on, local.date(), followup_on)
                if reason:
                    found.append(
                        Due(
                            f"commitment-{commitment.id}",
                            reason,
                            meeting.id,
                            commitment.owner_id or None,
                            commitment.id,
                            by_email,
                        )
                    )
            found += self._invitations_due(session, now, working)
            return list(dict.fromkeys(found))  # one follow-up per owner and session

    def _invitations_due(self, session: Session, now: datetime, working: WorkingDays) -> list[Due]:
        local = now.astimezone(self.zone)
        if not _in_working_hours(local, working):
            return []
        today = local.date()
        coming = session.exec(
            select(PartnershipSession).where(
                col(PartnershipSession.next_on).is_not(None),
                col(PartnershipSession.next_on) > today,
            )
        ).all()
        found = []
        for row in coming:
            assert row.next_on is not None
            scope = f"next-{row.id}"
            if today >= row.next_on - INVITE_BEFORE:
                found.append(Due(scope, "invite", row.id))
            if today >= row.next_on - REMIND_BEFORE:
                found += [Due(scope, "reminder", row.id), Due(scope, "summary", row.id)]
        return found

    # Claimed work (inside the job's claiming transaction) ----------------------------------------

    def take_followup(self, session: Session, due: Due) -> list[CommitmentView]:
        """The owner's open commitments from the session, each counted as one nudge."""
        by_email = due.email_owner
        owner = (
            getattr(Commitment, by_email.column) == by_email.id
            if by_email
            else Commitment.owner_id == due.owner_id
        )
        rows = session.exec(
            select(Commitment).where(
                Commitment.session_id == due.session_id,
                owner,
                Commitment.status != "done",
                Commitment.nudges < NUDGES_MAX,
            )
        ).all()
        return self._count_nudges(session, rows)

    def take_nudge(self, session: Session, due: Due) -> list[CommitmentView]:
        rows = session.exec(
            select(Commitment).where(
                Commitment.id == due.commitment_id,
                Commitment.status != "done",
                Commitment.nudges < NUDGES_MAX,
            )
        ).all()
        return self._count_nudges(session, rows)

    def _count_nudges(self, session: Session, rows: Sequence[Commitment]) -> list[CommitmentView]:
        ids = [row.id for row in rows]
        if ids:
            session.connection().execute(
                update(Commitment)
                .where(col(Commitment.id).in_(ids))
                .values(nudges=Commitment.nudges + 1)
            )
        return _commitment_views(session, rows)

    def invitees(self, session: Session, due: Due) -> tuple[SessionView, list[str]]:
        """Everyone in an organisation (the invitation), or those yet to answer (the reminder)."""
        row = session.get(PartnershipSession, due.session_id)
        assert row is not None
        members = select(Member.slack_user_id).where(col(Member.organisation_id).is_not(None))
        if due.period == "reminder":
            answered = select(Rsvp.member_id).where(Rsvp.session_id == due.session_id)
            members = members.where(col(Member.slack_user_id).not_in(answered))
        return session_view(session, row), sorted(session.exec(members).all())

    def summary(self, session: Session, due: Due) -> Summary:
        """The coordinators' picture; bot.services.coordinators says how each is reached."""
        row = session.get(PartnershipSession, due.session_id)
        assert row is not None
        view = session_view(session, row)
        by_status: dict[str, int] = {}
        for commitment in view.commitments:
            by_status[commitment.status] = by_status.get(commitment.status, 0) + 1
        answers: dict[str, dict[str, int]] = {}
        for name, answer in session.exec(
            select(Organisation.name, Rsvp.answer)
            .join(Member, col(Member.slack_user_id) == Rsvp.member_id)
            .join(Organisation, col(Organisation.id) == Member.organisation_id)
            .where(Rsvp.session_id == due.session_id)
        ).all():
            counts = answers.setdefault(name, {})
            counts[answer] = counts.get(answer, 0) + 1
        silent = [
            name
            for name in session.exec(select(Organisation.name).order_by(Organisation.name)).all()
            if name not in answers
        ]
        return Summary(view, by_status, answers, silent)


# Helpers ----------------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    """Typed one-line text as stored: cleaned, runs of spaces and new lines as one space."""
    return " ".join(clean(text).split())


def _cleared_entry(session: Session, entry: SessionInput, anyway: bool) -> dict[str, Cleared]:
    """The session's typed text through the gate, by form field: the title and each
    commitment (`what_1`…, in order) reach others; the next place is a public address."""
    fields = {
        "title": (_tidy(entry.title), Reach.OTHERS),
        "next_place": (clean(entry.next_place), Reach.PUBLIC),
    }
    for number, commitment in enumerate(entry.commitments, start=1):
        fields[f"what_{number}"] = (_tidy(commitment.what), Reach.OTHERS)
    return clear_fields(session, fields, anyway)


def _commitment_problem(commitment: CommitmentInput, earliest: date) -> str | None:
    what = clean(commitment.what)
    if not what:
        return "Say what was committed to."
    if len(what) > WHAT_MAX:
        return f"That's {len(what)} characters; the limit is {WHAT_MAX}."
    if commitment.due_on and commitment.due_on < earliest:
        return f"{commitment.due_on:%-d %b %Y} has passed; give a date to come."
    return None


def _add_commitment(
    session: Session,
    meeting: PartnershipSession,
    commitment: CommitmentInput,
    what: Cleared,
    by: str,
    load_profile: ProfileLoader,
) -> Commitment:
    row = Commitment(
        session_id=meeting.id, owner_id=commitment.owner_id, what=what,
        due_on=commitment.due_on, created_by=by,
    )  # fmt: skip
    if commitment.owner_id:
        ensure_member(session, commitment.owner_id, load_profile)  # their name and time zone
    else:
        by_email = _reached_by_email(session, commitment.owner_name)
        setattr(row, by_email.column, by_email.id)
    session.add(row)
    return row


def _named(name: str) -> str:
    """A name as the file's people are matched by it: case and runs of spaces aside."""
    return " ".join(name.split()).lower()


def _reached_by_email(session: Session, name: str) -> EmailOwner:
    """The person, named as in the partnership file, who is reached by email: a key worker
    with an email and no Slack id, or one of its [[people]]."""
    named = _named(name)
    found = [
        EmailOwner(KeyWorker, worker_id)
        for worker_id in session.exec(
            select(KeyWorker.id).where(
                func.lower(KeyWorker.name) == named,
                col(KeyWorker.email).is_not(None),
                col(KeyWorker.slack_user_id).is_(None),
            )
        ).all()
    ] + [
        EmailOwner(PartnerPerson, person_id)
        for person_id in session.exec(
            select(PartnerPerson.id).where(func.lower(PartnerPerson.name) == named)
        ).all()
    ]
    coordinator = session.exec(
        select(EmailCoordinator.name).where(func.lower(EmailCoordinator.name) == named)
    ).first()
    if not found and coordinator:
        raise SessionProblem(
            f"{coordinator} is a coordinator reached by email; commitments by name go to the "
            "file's key workers and [[people]] reached by email. To give them one, list them "
            "under [[people]] in the partnership file too, with their organisation.",
            COMMIT_FOR_EMAIL_OWNER,
        )
    if len(found) != 1:
        raise SessionProblem(
            f"No one called {name!r} is in the partnership file with an email and no Slack"
            + (" (more than one is: ask a coordinator to tell them apart)." if found else ".")
            + " Name someone from the file reached by email in quotes, or @someone on Slack.",
            COMMIT_FOR_EMAIL_OWNER,
        )
    return found[0]


def _locked(session: Session, commitment_id: int, lock: bool = True) -> Commitment:
    """The commitment, locked, so that of two answers at once the second sees the first's
    (`lock=False`: only to show it)."""
    row = session.get(Commitment, commitment_id, with_for_update=lock)
    if row is None:
        raise SessionProblem(f"There is no commitment C{commitment_id}.", "/session mine")
    return row


def _change(
    session: Session,
    row: Commitment,
    status: str,
    note: str,
    anyway: bool,
    notices: Notices[StatusChange],
    by_someone_else: str | None,
    mailing: Mailing | None,
) -> StatusChange:
    """A commitment's status (and note) changed, whoever answered and however: the
    coordinators told (`notices`, and by email those reached so while email is on, `mailing`)
    in the same transaction when someone needs help."""
    if status not in STATUSES or status == "open":
        raise SessionProblem("A commitment is done, still being worked on, or needs help.")
    note = clean(note)[:NOTE_MAX]
    new: dict[str, object] = {"status": status, "updated_at": utcnow()}
    if note:  # a new note replaces the last; none keeps it
        new["note"] = clear_fields(session, {"note": (note, Reach.OTHERS)}, anyway)["note"]
    changed = (row.status, row.note) != (status, note or row.note)
    moved = session.connection().execute(
        update(Commitment).where(col(Commitment.id) == row.id).values(**new)
    )
    assert moved.rowcount == 1
    session.refresh(row)
    if by_someone_else and changed:
        audit.record(session, by_someone_else, "commitment changed", f"C{row.id} → {status}")
    view = _commitment_views(session, [row])[0]
    coordinators = []
    if status == "help" and changed:  # each coordinator told, in Slack or by email
        partnership = partnership_settings(session).name
        email = (
            emails.help_needed(view, _owner_name(session, view), partnership) if mailing else None
        )
        key = f"{view.ref}:help:{utcnow().isoformat()}"  # each need for help, once
        coordinators = tell_coordinators(session, email, key)
    change = StatusChange(view, changed, coordinators)
    return replace(change, notices=outbox.write_notices(session, notices(change)))


def _owner_name(session: Session, commitment: CommitmentView) -> str:
    """The owner as the Slack DM names them: the file's name (by email), or their profile's."""
    if commitment.owner_name:
        return f"{commitment.owner_name} (by email)"
    name = session.exec(
        select(Member.name).where(Member.slack_user_id == commitment.owner_id)
    ).first()
    return name or "a member"


def _nudge_reason(due_on: date | None, today: date, followup_on: date) -> str | None:
    """After the follow-up day: on the due date (or the first working moment after it), then
    once a week. A due date before the follow-up is covered by the follow-up itself."""
    if due_on is None or today < due_on or today <= followup_on:
        return None
    weeks = (today - due_on).days // 7
    if weeks == 0:
        return "due" if due_on > followup_on else None
    return f"week-{weeks}"


def _in_zone(now: datetime, name: str | None, fallback: ZoneInfo) -> datetime:
    try:
        return now.astimezone(ZoneInfo(name) if name else fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(fallback)


def _in_working_hours(local: datetime, working: WorkingDays) -> bool:
    start, end = WORKING_HOURS
    return working.is_working_day(local.date()) and start <= local.time() < end


def _require_coordinator(session: Session, user_id: str, action: str) -> None:
    if not is_coordinator(session, user_id):
        raise SessionProblem(
            f"Only the partnership's coordinators can {action}.", "/session commit me …"
        )


def _commitment_views(session: Session, rows: Sequence[Commitment]) -> list[CommitmentView]:
    if not rows:
        return []
    titles = dict(
        session.exec(
            select(PartnershipSession.id, PartnershipSession.title).where(
                col(PartnershipSession.id).in_({row.session_id for row in rows})
            )
        ).all()
    )
    by_email = {owner for owner in map(EmailOwner.of, rows) if owner}
    names = {
        str(owner): getattr(owner.row(session), "name", "") for owner in by_email
    }  # a few at most: a follow-up's, a session's
    return [
        CommitmentView(
            id=row.id,
            session_id=row.session_id,
            session_title=titles[row.session_id],
            owner_id=row.owner_id,
            what=row.what,
            due_on=row.due_on,
            status=row.status,
            note=row.note,
            owner_name=names.get(str(EmailOwner.of(row) or ""), ""),
        )
        for row in rows
    ]


def session_view(session: Session, row: PartnershipSession) -> SessionView:
    organisations = session.exec(
        select(Organisation)
        .join(SessionOrganisation)
        .where(SessionOrganisation.session_id == row.id)
        .order_by(Organisation.name)
    ).all()
    commitments = session.exec(
        select(Commitment).where(Commitment.session_id == row.id).order_by(col(Commitment.id))
    ).all()
    return SessionView(
        id=row.id, title=row.title, kind=row.kind, held_on=row.held_on,
        next_on=row.next_on, next_place=row.next_place,
        organisations=[OrganisationRef(org.code, org.name) for org in organisations],
        commitments=_commitment_views(session, commitments),
    )  # fmt: skip
