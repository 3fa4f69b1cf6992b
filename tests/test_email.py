"""Email end to end, with a real SMTP server (aiosmtpd) on 127.0.0.1: what the app sends is
parsed with the `email` package, its invitation read back with `icalendar`, and its links
followed through the web app. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import html
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.config import SettingsError, load_settings
from bot.db import session_scope
from bot.fakeslack import FakeSlack
from bot.models import (
    Commitment,
    DeskBooking,
    EmailCoordinator,
    EmailDelivery,
    EmailLinkUse,
    Member,
    Organisation,
    Partnership,
    PartnerUpdate,
    utcnow,
)
from bot.partnership_scope import in_partnership, serve_many
from bot.scoping import ours
from bot.services.directory import Profile
from bot.services.email import links
from bot.services.email.deliveries import queue, send_due
from bot.services.email.messages import Draft, compose, write
from bot.services.email.smtp import Smtp
from bot.services.gate import trusted
from bot.services.hotdesk.types import Part
from bot.services.outbox import no_notices
from bot.services.partnership_file import (
    SAMPLE_PARTNERSHIP,
    PartnershipFileError,
    apply_partnership,
    parse_partnership,
    read_partnership_file,
)
from bot.services.rights import Rights
from bot.services.sessions import CommitmentInput, SessionInput, Sessions
from bot.slack.app import services_of
from jobs import email as email_job
from jobs import nudges, reminders
from jobs.clock import run_job
from jobs.registry import JOBS
from tests.conftest import COORDINATOR, MEMBER, OTHER, Bot
from tests.helpers import (
    LONDON,
    MONDAY,
    MONDAY_9,
    OTHER_PARTNERSHIP,
    buttons,
    coming,
    free_port,
    job_context,
    plant_partnership,
    replies_to,
    settled,
    shown,
    typed,
)

SECRET = "test-link-secret"
SENDER = "partnerbot@partnership.example.org"
JAMAL = "jamal.hussain@northside.example.org"  # NCL's key worker not on Slack (sample file)
KIRSTY = "U0000KIRSTY"  # NCL's key worker on Slack
DAMI = "dami.okafor@riverside-council.example.gov.uk"  # a coordinator reached by email alone
MAILING = links.Mailing(SECRET, "http://localhost:3000", SENDER, LONDON)


@dataclass
class Mailbox:
    """What the SMTP server received, and how it answers: `refuse` maps an address to a reply
    (a 5xx is permanent, a 4xx temporary)."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.received.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    """A real SMTP server on a free port of 127.0.0.1, and the SMTP_URL that reaches it."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def more_settings(mailbox: tuple[Mailbox, str]) -> dict[str, str]:
    return {"smtp_url": mailbox[1], "email_from": SENDER, "email_link_secret": SECRET}


@pytest.fixture
def visitors(bot: Bot) -> Bot:
    """OTHER works at Bridges Health Access and visits Northside (NCL: approval, Jamal by email)."""
    bot.clock.set(MONDAY)
    bot.fake.add_user(KIRSTY, "Kirsty Campbell")
    bot.ask("join BHA", user_id=OTHER)
    with session_scope(bot.engine) as session:
        session.get_one(Partnership, 1).emails_per_minute = 1000
    return bot


def send_emails(bot: Bot, smtp_url: str) -> str:
    context = replace(job_context(bot.engine, bot.fake), smtp_url=smtp_url, mailing=MAILING)
    return email_job.run.run(context, datetime.now(UTC))


def request_visit(bot: Bot) -> DeskBooking:
    answer = shown(bot.ask(f"book NCL {typed(coming('tue'))} am", OTHER, command="/hotdesk"))
    assert "Requested a desk" in answer
    settled(bot)
    with Session(bot.engine) as session:
        return session.exec(select(DeskBooking)).one()


def emailed_request(bot: Bot, mailbox: tuple[Mailbox, str]) -> dict[str, str]:
    """A visit requested at Northside and its email sent to Jamal: the email's links."""
    box, smtp_url = mailbox
    request_visit(bot)
    send_emails(bot, smtp_url)
    return links_in(box.to(JAMAL)[0])


def links_in(message: EmailMessage) -> dict[str, str]:
    """The email's links by label, from its plain-text part ("Label: https://…")."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return dict(line.split(": ", 1) for line in text.splitlines() if ": http" in line)


def follow(bot: Bot, url: str, method: str = "GET") -> tuple[int, str]:
    """A link's path opened on the test app (links point at PUBLIC_URL, here the default); the
    page as read (entities decoded)."""
    parts = urlsplit(url)
    request = urllib.request.Request(
        f"{bot.url}{parts.path}", method=method, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, html.unescape(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, html.unescape(error.read().decode())


def status_of(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(DeskBooking.status)).one()


# --- Settings ------------------------------------------------------------------------------------


def test_email_is_off_until_all_three_settings_are_given_and_says_which_are_missing() -> None:
    settings = load_settings({"SMTP_URL": "smtp://mail.example.org:587"})
    assert not settings.email_on
    assert settings.email_off_reason == "email is off: EMAIL_FROM, EMAIL_LINK_SECRET not set"
    on = load_settings(
        {"SMTP_URL": "smtps://u:p@mail.example.org", "EMAIL_FROM": SENDER, "EMAIL_LINK_SECRET": "s"}
    )
    assert on.email_on and on.link_base == "http://localhost:3000"
    assert links.Mailing.of(on) is not None and links.Mailing.of(settings) is None
    with pytest.raises(SettingsError, match="SMTP_URL must start with smtp://"):
        load_settings({"SMTP_URL": "mail.example.org"})
    with pytest.raises(SettingsError, match="EMAIL_FROM must be an email address"):
        load_settings({"EMAIL_FROM": "partnerbot"})


# --- Links ----------------------------------------------------------------------------------------


def test_a_link_names_no_one_and_refuses_any_change_or_its_expiry() -> None:
    now = utcnow()
    token = links.sign(SECRET, "approve", 12, now + timedelta(days=1))
    assert links.read(SECRET, token, now).row_id == 12
    payload, _, signature = token.partition(".")
    other_row = links.sign(SECRET, "approve", 13, now + timedelta(days=1)).partition(".")[0]
    for tampered in (f"{other_row}.{signature}", token[:-2], "nonsense", f"{payload}."):
        with pytest.raises(links.LinkRefused, match="isn't one Partnerbot made"):
            links.read(SECRET, tampered, now)
    with pytest.raises(links.LinkRefused, match="isn't one Partnerbot made"):
        links.read("another secret", token, now)
    with pytest.raises(links.LinkRefused, match="expired"):
        links.read(SECRET, token, now + timedelta(days=2))


# --- Hot-desk notices -----------------------------------------------------------------------------


def test_a_visit_request_reaches_the_email_key_worker_with_an_invitation_and_links(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    booking = request_visit(visitors)
    assert not box.received  # queued with the booking; the job sends it
    assert send_emails(visitors, smtp_url).startswith("1 emails sent")
    assert send_emails(visitors, smtp_url).startswith("0 emails sent")  # sent once
    (message,) = box.to(JAMAL)
    assert message["From"] == f"Partnerbot <{SENDER}>"
    assert message["Subject"].startswith("Visit request: Olu Other")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Olu Other from Bridges Health Access asks to use a hot desk at Northside" in plain
    assert "Olu Other from Bridges Health Access asks to use a hot desk at Northside" in page
    assert page.startswith("<!DOCTYPE html>") and ">Approve the visit</a>" in page
    (part,) = [p for p in message.iter_parts() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and event["UID"] == f"hotdesk-D{booking.id}@partnerbot"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime.combine(
        coming("tue"), datetime.min.time().replace(hour=9), MONDAY.tzinfo
    )
    assert str(event["ATTENDEE"]) == f"mailto:{JAMAL}"
    links_by_label = links_in(message)
    assert set(links_by_label) == {"Approve the visit", "Decline"}
    for url in links_by_label.values():  # no name, no address, no booking words in the URL
        assert "olu" not in url.lower() and "jamal" not in url.lower() and "@" not in url


def test_the_approve_link_shows_a_page_and_only_its_button_approves_once(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    approve = emailed_request(visitors, mailbox)["Approve the visit"]
    for _ in range(2):  # a mail scanner, then the person: looking changes nothing
        status, page = follow(visitors, approve)
        assert status == 200 and "Approve this visit?" in page
        assert '<form method="post"><button type="submit">Approve the visit</button>' in page
    assert status_of(visitors.engine) == "pending"
    status, page = follow(visitors, approve, "POST")
    assert status == 200 and "You approved the visit" in page
    assert "The visitor has been told in Slack." in page
    assert status_of(visitors.engine) == "confirmed"
    told = visitors.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == OTHER and "approved" in shown(c.args)
    )
    assert "Northside Care Leavers Project's key worker approved your visit" in shown(told[0].args)
    visitors.fake.wait_for("files.completeUploadExternal")  # the visitor's calendar entry
    status, page = follow(visitors, approve, "POST")  # a second use changes nothing
    assert status == 410 and "used already" in page
    status, page = follow(visitors, approve)
    assert "Already answered" in page and "approved already" in page


def test_declining_by_link_tells_the_visitor_and_cancels_the_invitation(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    booking = request_visit(visitors)
    send_emails(visitors, smtp_url)
    status, page = follow(visitors, links_in(box.to(JAMAL)[0])["Decline"], "POST")
    assert status == 200 and "You declined the visit" in page
    assert status_of(visitors.engine) == "declined"
    visitors.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == OTHER and "declined" in shown(c.args)
    )
    send_emails(visitors, smtp_url)
    cancel = box.to(JAMAL)[1]
    assert cancel["Subject"].startswith("Visit declined")
    (part,) = [p for p in cancel.iter_parts() if p.get_content_type() == "text/calendar"]
    (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert part.get_param("method") == "CANCEL"
    assert event["UID"] == f"hotdesk-D{booking.id}@partnerbot" and event["SEQUENCE"] == 1
    assert event["STATUS"] == "CANCELLED"


def test_an_expired_or_tampered_link_is_refused_with_a_page_and_changes_nothing(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    approve = emailed_request(visitors, mailbox)["Approve the visit"]
    for method in ("GET", "POST"):
        status, page = follow(visitors, approve[:-3] + "abc", method)
        assert status == 410 and "isn't one Partnerbot made" in page
    visitors.clock.set(MONDAY + timedelta(days=30))
    status, page = follow(visitors, approve, "POST")
    assert status == 410 and "This link has expired" in page
    assert status_of(visitors.engine) == "pending"
    with Session(visitors.engine) as session:
        assert session.exec(select(EmailLinkUse)).all() == []


def test_a_visitor_cancelling_sends_the_email_key_worker_a_cancellation(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    booking = request_visit(visitors)
    visitors.ask(f"cancel D{booking.id}", OTHER, command="/hotdesk")
    settled(visitors)
    send_emails(visitors, smtp_url)
    subjects = [m["Subject"] for m in box.to(JAMAL)]
    assert subjects[0].startswith("Visit request") and subjects[1].startswith("Visit cancelled")


# --- Sending: refusals, pace, crashes -------------------------------------------------------------


def _queue(engine: Engine, address: str, key: str) -> None:
    draft = Draft(trusted("Hello"), trusted("Hello"), [trusted("A test.")])
    with session_scope(engine) as session:
        queue(session, key, address, write(draft, about="a test"))


def test_a_permanent_refusal_fails_and_tells_the_coordinators_a_temporary_one_waits(
    loaded_engine: Engine, fake_slack: FakeSlack, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    fake_slack.add_user(COORDINATOR, "Morag Fraser")
    box.refuse = {
        "gone@example.org": "550 5.1.1 No such user",
        "busy@example.org": "451 4.3.0 Try later",
    }
    for n, address in enumerate(("gone@example.org", "busy@example.org", "fine@example.org")):
        _queue(loaded_engine, address, f"test:{n}")
    context = replace(job_context(loaded_engine, fake_slack), smtp_url=smtp_url, mailing=MAILING)
    summary = email_job.run.run(context, datetime.now(UTC))
    assert summary == "1 emails sent, 1 refused (550), 1 to try again later (server busy or away)"
    with Session(loaded_engine) as session:
        rows = {r.recipient: r for r in session.exec(select(EmailDelivery)).all()}
    assert rows["gone@example.org"].status == "failed"
    assert rows["gone@example.org"].error.startswith("550 5.1.1")
    assert rows["busy@example.org"].status == "pending" and rows["busy@example.org"].attempts == 1
    assert rows["busy@example.org"].not_before > utcnow() + timedelta(minutes=4)
    told = fake_slack.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert "An email to gone@example.org about a test could not be delivered" in shown(told[0].args)
    box.refuse = {}
    # the coordinator reached by email is told by email, queued with the failure
    assert email_job.run.run(context, datetime.now(UTC)).startswith("1 emails sent")
    (report,) = box.to(DAMI)
    assert report["Subject"] == "An email could not be delivered: a test"
    for part in ("plain", "html"):
        said = html.unescape(report.get_body((part,)).get_content())  # type: ignore[union-attr]
        assert "An email to gone@example.org about a test could not be delivered: 550 5.1.1" in said
    assert email_job.run.run(context, datetime.now(UTC)).startswith("0 emails sent")  # not due
    later = utcnow() + timedelta(minutes=6)
    tally = send_due(loaded_engine, Smtp(smtp_url), SENDER, report=email_job.report, now=later)
    assert tally.sent == 1 and [m["To"] for m in box.received] == [
        "fine@example.org",
        DAMI,
        "busy@example.org",
    ]


def test_a_refused_report_to_the_email_coordinator_is_told_in_slack_and_never_loops(
    loaded_engine: Engine, fake_slack: FakeSlack, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    box.refuse = {"gone@example.org": "550 5.1.1 No such user", DAMI: "550 5.1.1 No such user"}
    _queue(loaded_engine, "gone@example.org", "test:gone")
    _queue(loaded_engine, DAMI, "test:dami")  # an email to the coordinator, refused: not
    context = replace(job_context(loaded_engine, fake_slack), smtp_url=smtp_url, mailing=MAILING)
    assert email_job.run.run(context, datetime.now(UTC)).startswith("0 emails sent, 2 refused")
    with Session(loaded_engine) as session:  # reported to the refused address itself
        waiting = session.exec(select(EmailDelivery).where(EmailDelivery.status == "pending"))
        assert [row.recipient for row in waiting] == [DAMI]  # the report of gone@…'s alone
    assert email_job.run.run(context, datetime.now(UTC)).startswith("0 emails sent, 1 refused")
    for _ in range(2):  # the report's refusal is told in Slack, and nothing more is written
        assert email_job.run.run(context, datetime.now(UTC)).startswith("0 emails sent")
    with Session(loaded_engine) as session:
        rows = session.exec(select(EmailDelivery)).all()
    assert len(rows) == 3 and {row.status for row in rows} == {"failed"}
    told = [
        shown(c.args) for c in fake_slack.calls_to("chat.postMessage")
        if c.args["channel"] == COORDINATOR
    ]  # fmt: skip
    assert len(told) == 3
    assert sum(f"An email to {DAMI} about a report of an undelivered email" in t for t in told) == 1


def test_sending_keeps_to_the_per_minute_limit_and_resumes_after_a_crash(
    loaded_engine: Engine, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    with session_scope(loaded_engine) as session:
        session.get_one(Partnership, 1).emails_per_minute = 2
    for n in range(4):
        _queue(loaded_engine, f"p{n}@example.org", f"test:{n}")
    with session_scope(loaded_engine) as session:  # a crash: one left mid-send, long ago
        session.connection().execute(
            update(EmailDelivery)
            .where(EmailDelivery.recipient == "p0@example.org", ours(EmailDelivery))
            .values(status="sending", updated_at=utcnow() - timedelta(hours=1))
        )  # fmt: skip
    tally = send_due(loaded_engine, Smtp(smtp_url), SENDER, report=lambda s, u: ())
    assert (tally.sent, tally.paced, tally.stuck) == (2, 1, 1)
    assert [m["To"] for m in box.received] == ["p1@example.org", "p2@example.org"]
    with Session(loaded_engine) as session:
        stuck = session.exec(
            select(EmailDelivery).where(EmailDelivery.recipient == "p0@example.org")
        ).one()
    assert stuck.status == "failed" and "not sent again" in stuck.error
    with session_scope(loaded_engine) as session:  # a minute later
        session.connection().execute(
            update(EmailDelivery)
            .where(ours(EmailDelivery))
            .values(updated_at=utcnow() - timedelta(minutes=2))
        )
    tally = send_due(loaded_engine, Smtp(smtp_url), SENDER, report=lambda s, u: ())
    assert tally.sent == 1 and box.received[-1]["To"] == "p3@example.org"
    assert len(box.received) == 3  # the interrupted one never resent


def test_html_is_escaped_by_the_gate_and_both_parts_say_the_same() -> None:
    draft = Draft(trusted("<b>Hi</b>"), trusted("A & B <script>"), [trusted("x < y")])
    message = compose(write(draft), SENDER, "someone@example.org")
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "A &amp; B &lt;script&gt;" in page and "<script>" not in page
    assert "x &lt; y" in page
    assert "A & B <script>" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# --- Links across partnerships -------------------------------------------------------------------


def requested_in_the_other_partnership(bot: Bot) -> int:
    """OTHER, of Bridges Health Access in the other partnership too, asks for a desk at its
    Northside (whose key worker is Jamal by email there as well): the booking's id."""
    services = services_of(bot.app)
    with in_partnership(OTHER_PARTNERSHIP):
        services.directory.join(OTHER, "BHA", lambda _: Profile("Olu Other"))
        booked = services.hotdesk.book(
            OTHER, "NCL", coming("tue"), Part.AM, services.now(), notices=no_notices
        )
    return booked.booking.id


def status_in(engine: Engine, partnership: int) -> str:
    with in_partnership(partnership):
        return status_of(engine)


def token_of(url: str) -> str:
    return urlsplit(url).path.rpartition("/")[2]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def old_link(purpose: str, row_id: int, expires: datetime) -> str:
    """A link as deployments made them before links carried their partnership."""
    payload = f"{purpose}.{row_id}.{int(expires.timestamp())}"
    digest = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()
    return f"http://localhost:3000/email/{_b64(payload.encode())}.{_b64(digest)}"


def test_a_link_acts_in_its_own_partnership_and_one_moved_to_another_is_refused(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    """Both partnerships have a visit waiting at their Northside; each email's link reaches
    its own partnership's, with the web process serving many partnerships."""
    plant_partnership(visitors.engine)
    box, smtp_url = mailbox
    ours = request_visit(visitors)
    theirs = requested_in_the_other_partnership(visitors)
    send_emails(visitors, smtp_url)
    with in_partnership(OTHER_PARTNERSHIP):
        send_emails(visitors, smtp_url)
    ours_email, theirs_email = box.to(JAMAL)
    approve = links_in(theirs_email)["Approve the visit"]
    assert links.read(SECRET, token_of(approve), MONDAY).partnership == OTHER_PARTNERSHIP
    assert links.read(SECRET, token_of(links_in(ours_email)["Decline"]), MONDAY).partnership == 1
    payload, _, signature = token_of(approve).partition(".")
    moved = _b64(base64.urlsafe_b64decode(payload + "==").decode()[:-1].encode() + b"1")
    serve_many()
    try:
        for method in ("GET", "POST"):  # the other partnership's link, said to be ours
            status, page = follow(visitors, f"/email/{moved}.{signature}", method)
            assert status == 410 and "isn't one Partnerbot made" in page
        status, page = follow(visitors, approve)
        assert status == 200 and f"booking D{theirs}" in page
        status, page = follow(visitors, approve, "POST")
        assert status == 200 and "You approved the visit" in page and f"D{theirs}" in page
        assert status_in(visitors.engine, OTHER_PARTNERSHIP) == "confirmed"
        assert status_in(visitors.engine, 1) == "pending"
        # a link made before links carried their partnership: the first partnership's
        status, page = follow(
            visitors, old_link("decline", ours.id, MONDAY + timedelta(hours=2)), "POST"
        )
        assert status == 200 and "You declined the visit" in page and f"D{ours.id}" in page
        assert status_in(visitors.engine, 1) == "declined"
        assert status_in(visitors.engine, OTHER_PARTNERSHIP) == "confirmed"
        with in_partnership(3):  # a partnership the deployment does not serve (any more)
            gone = links.sign(SECRET, "approve", theirs, MONDAY + timedelta(hours=2))
        status, page = follow(visitors, f"/email/{gone}", "POST")
        assert status == 410 and "isn't one Partnerbot made" in page
    finally:
        serve_many(False)


def test_an_unsubscribe_link_stops_the_digest_in_its_partnership_only(visitors: Bot) -> None:
    """The same Slack member takes the digest by email in both partnerships."""
    plant_partnership(visitors.engine)
    for partnership in (1, OTHER_PARTNERSHIP):
        with in_partnership(partnership), session_scope(visitors.engine) as session:
            member = session.exec(select(Member).where(Member.slack_user_id == MEMBER)).first()
            member = member or Member(slack_user_id=MEMBER, name="Sam Member")
            member.digest_email = f"sam@p{partnership}.example.org"
            session.add(member)
            session.flush()
            theirs = member.id
    with in_partnership(OTHER_PARTNERSHIP):
        unsubscribe = links.sign(SECRET, "unsubscribe", theirs, utcnow() + timedelta(days=120))
    serve_many()
    try:
        status, page = follow(visitors, f"/email/{unsubscribe}", "POST")
    finally:
        serve_many(False)
    assert status == 200 and f"No more digests to sam@p{OTHER_PARTNERSHIP}" in page
    for partnership, address in ((1, "sam@p1.example.org"), (OTHER_PARTNERSHIP, None)):
        with in_partnership(partnership), Session(visitors.engine) as session:
            member = session.exec(select(Member).where(Member.slack_user_id == MEMBER)).one()
            assert member.digest_email == address


# --- The digest by email --------------------------------------------------------------------------

OLU = "olu.other@bridges.example.org"


def post_last_week(engine: Engine, text: str) -> None:
    with session_scope(engine) as session:
        harbour = session.exec(select(Organisation).where(Organisation.code == "HRS")).one()
        session.add(
            PartnerUpdate(
                organisation_id=harbour.id, author_id=OTHER, text=trusted(text),
                created_at=MONDAY_9.astimezone(UTC) - timedelta(days=2),
            )
        )  # fmt: skip


def digest_address(engine: Engine) -> tuple[str | None, str | None]:
    with Session(engine) as session:
        member = session.exec(select(Member).where(Member.slack_user_id == OTHER)).one()
        return member.digest_email, member.digest_email_asked


def test_the_digest_by_email_is_confirmed_first_then_sent_once_with_one_click_unsubscribe(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    visitors.fake.add_user(OTHER, "Olu Other", email=OLU)
    answer = shown(visitors.ask("digest email on", OTHER))
    assert f"I've sent a link to *{OLU}*" in answer
    assert digest_address(visitors.engine) == (None, OLU)
    send_emails(visitors, smtp_url)
    (confirmation,) = box.to(OLU)
    assert (
        "Nothing more will be sent here unless you confirm"
        in confirmation.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    confirm = links_in(confirmation)["Confirm this address"]
    status, page = follow(visitors, confirm)
    assert status == 200 and f"Send the partnership's weekly digest to {OLU}?" in page
    assert digest_address(visitors.engine) == (None, OLU)  # looking changed nothing
    status, page = follow(visitors, confirm, "POST")
    assert status == 200 and f"The weekly digest will come to {OLU}" in page
    assert digest_address(visitors.engine) == (OLU, None)
    assert follow(visitors, confirm, "POST")[0] == 410  # used

    post_last_week(visitors.engine, "Saturday drop-in & <b>music</b> <!channel>")
    context = replace(job_context(visitors.engine, visitors.fake), mailing=MAILING)
    run_job("digest", context, MONDAY_9)
    run_job("digest", context, MONDAY_9 + timedelta(hours=1))  # the week is done: not again
    send_emails(visitors, smtp_url)
    (digest,) = box.to(OLU)[1:]
    assert digest["Subject"].startswith("Riverside Refugee and Care Leavers Partnership")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Updates from Harbour Refugee Support" in plain
    assert "Saturday drop-in & <b>music</b> <!channel> — Olu Other" in plain
    assert "Saturday drop-in &amp; &lt;b&gt;music&lt;/b&gt; &lt;!channel&gt;" in page
    unsubscribe = digest["List-Unsubscribe"].strip("<>")
    request = urllib.request.Request(  # a mail client's one-click: no confirmation page
        f"{visitors.url}{urlsplit(unsubscribe).path}",
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert digest_address(visitors.engine) == (None, None)


def test_a_typed_address_is_used_and_a_bad_one_refused(visitors: Bot) -> None:
    assert "sent a link to *olu@elsewhere.example.org*" in shown(
        visitors.ask("digest email on olu@elsewhere.example.org", OTHER)
    )  # Slack sends it escaped as a mailto link; the inbound gate reads it back
    assert digest_address(visitors.engine) == (None, "olu@elsewhere.example.org")
    assert "doesn't look like an email address" in shown(
        visitors.ask("digest email on olu-at-home", OTHER)
    )
    assert "no more digests by email" in shown(visitors.ask("digest email off", OTHER))
    assert digest_address(visitors.engine) == (None, None)


def test_erasure_removes_the_digest_address_and_every_email_to_it(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    visitors.ask("digest email on olu@elsewhere.example.org", OTHER)
    with Session(visitors.engine) as session:
        assert session.exec(select(EmailDelivery)).all()  # the confirmation, waiting
    Rights(visitors.engine, LONDON).forget(OTHER, OTHER, True, utcnow(), notices=no_notices)
    with Session(visitors.engine) as session:
        assert session.exec(select(EmailDelivery)).all() == []
        assert session.exec(select(Member).where(Member.slack_user_id == OTHER)).first() is None


def test_the_partnership_file_gives_key_workers_addresses_and_the_pace() -> None:
    spec = read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS)
    (northside,) = [o for o in spec.organisations if o.code == "NCL"]
    assert {(w.name, w.email) for w in northside.key_workers if not w.slack} == {
        ("Jamal Hussain", JAMAL)
    }
    assert spec.emails_per_minute == 30
    text = '[partnership]\nname = "P"\n\n[[organisations]]\ncode = "AB"\nname = "A B"\n'
    with pytest.raises(PartnershipFileError, match="is not in the right form"):
        parse_partnership(
            text + '[[organisations.key_workers]]\nname = "X"\nemail = "x at y"\n', jobs=JOBS
        )
    with pytest.raises(PartnershipFileError, match=r"email\.per_minute: should be a whole number"):
        parse_partnership(text + "[email]\nper_minute = 0\n", jobs=JOBS)


def test_my_data_shows_the_digest_address(visitors: Bot) -> None:
    visitors.ask("digest email on olu@elsewhere.example.org", OTHER)
    export = Rights(visitors.engine, LONDON).export(OTHER)
    assert (
        export["preferences"]["digest_email_awaiting_confirmation"] == "olu@elsewhere.example.org"
    )
    assert export["preferences"]["digest_by_email_to"] is None


# --- Commitment follow-ups by email ---------------------------------------------------------------

WEDNESDAY_10 = MONDAY + timedelta(days=2)  # two working days after Monday's session


def _session_on_monday(bot: Bot) -> None:
    bot.clock.set(MONDAY)
    entry = SessionInput(title="Winter session", kind="reflective", held_on=MONDAY.date())
    Sessions(bot.engine, LONDON).record(COORDINATOR, entry, MONDAY.date(), Profile)


def _jamal_commits(bot: Bot) -> str:
    """A session on Monday, and a coordinator gives Jamal (by email only) a commitment."""
    bot.fake.add_user(COORDINATOR, "Morag Fraser")
    _session_on_monday(bot)
    text = 'commit "jamal  hussain" send the referral leaflet to partners by 1/12/2026'
    return shown(bot.ask(text, COORDINATOR, command="/session"))


def _followed_up(bot: Bot, mailbox: tuple[Mailbox, str]) -> EmailMessage:
    """The follow-up job run on Wednesday morning, and the email sent: what Jamal got."""
    box, smtp_url = mailbox
    context = replace(job_context(bot.engine, bot.fake), mailing=MAILING)
    nudges.run.run(context, WEDNESDAY_10)
    send_emails(bot, smtp_url)
    (message,) = box.to(JAMAL)
    return message


def _commitment(engine: Engine) -> Commitment:
    with Session(engine) as session:
        return session.exec(select(Commitment)).one()


def post_note(bot: Bot, url: str, note: str) -> tuple[int, str]:
    """The Need help page's form, sent as a browser sends it."""
    request = urllib.request.Request(
        f"{bot.url}{urlsplit(url).path}", method="POST", data=urlencode({"note": note}).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, html.unescape(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, html.unescape(error.read().decode())


def test_a_key_worker_not_on_slack_gets_the_follow_up_by_email_and_answers_done_once(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    added = _jamal_commits(bot)
    assert "Jamal Hussain (by email)" in added and "send the referral leaflet" in added
    calls = len(bot.fake.calls_to("chat.postMessage"))
    message = _followed_up(bot, mailbox)
    assert len(bot.fake.calls_to("chat.postMessage")) == calls  # no DM to anyone
    commitment = _commitment(bot.engine)
    assert message["Subject"] == "Your commitments from Winter session"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"C{commitment.id}: send the referral leaflet to partners" in text
    found = links_in(message)
    assert set(found) == {
        f"Done (C{commitment.id})", f"Still working (C{commitment.id})",
        f"Need help (C{commitment.id})",
    }  # fmt: skip
    assert all("jamal" not in url.lower() for url in found.values())  # names no one
    done = found[f"Done (C{commitment.id})"]
    status, page = follow(bot, done)
    assert status == 200 and "Mark it done?" in page and "send the referral leaflet" in page
    assert _commitment(bot.engine).status == "open"  # a GET changes nothing
    status, page = follow(bot, done, "POST")
    assert status == 200 and "is now done" in page
    assert _commitment(bot.engine).status == "done"
    status, page = follow(bot, done, "POST")
    assert status == 410 and "used already" in page
    status, page = follow(bot, done)
    assert status == 200 and "This link was used already" in page
    with Session(bot.engine) as session:
        assert len(session.exec(select(EmailLinkUse)).all()) == 1
    # done: no more nudges, by Slack or email
    nudges.run.run(
        replace(job_context(bot.engine, bot.fake), mailing=MAILING), MONDAY + timedelta(days=9)
    )
    send_emails(bot, mailbox[1])
    assert len(mailbox[0].to(JAMAL)) == 1


def test_need_help_takes_a_note_through_the_privacy_guard_and_tells_the_coordinators(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    _jamal_commits(bot)
    commitment = _commitment(bot.engine)
    need_help = links_in(_followed_up(bot, mailbox))[f"Need help (C{commitment.id})"]
    status, page = follow(bot, need_help)
    assert status == 200 and '<textarea id="note" name="note"' in page
    assert _commitment(bot.engine).status == "open"
    status, page = post_note(bot, need_help, "Please ring the mum on 07700 900123 about it")
    assert status == 422 and "Your note wasn't sent" in page and "phone" in page.lower()
    assert "Please ring the mum on 07700 900123 about it</textarea>" in page  # nothing lost
    assert _commitment(bot.engine).status == "open"
    with Session(bot.engine) as session:
        assert session.exec(select(EmailLinkUse)).all() == []  # the link still works
    status, page = post_note(bot, need_help, "Who prints leaflets <cheaply>?")
    assert status == 200 and "The coordinators have been told" in page
    row = _commitment(bot.engine)
    assert (row.status, row.note) == ("help", "Who prints leaflets <cheaply>?")
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert "Jamal Hussain (by email) needs help" in shown(told[-1].args)
    assert post_note(bot, need_help, "again")[0] == 410


def test_a_follow_up_link_expired_or_changed_is_refused_and_changes_nothing(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    _jamal_commits(bot)
    commitment = _commitment(bot.engine)
    still = links_in(_followed_up(bot, mailbox))[f"Still working (C{commitment.id})"]
    other_row = links.sign(SECRET, "working", commitment.id + 1, utcnow() + timedelta(days=1))
    for url in (still[:-3] + "abc", still.replace(still.rpartition("/")[2], other_row[:-2])):
        for method in ("GET", "POST"):
            status, page = follow(bot, url, method)
            assert status == 410 and "isn't one Partnerbot made" in page
    bot.clock.set(WEDNESDAY_10 + timedelta(days=29))
    status, page = follow(bot, still, "POST")
    assert status == 410 and "This link has expired" in page
    assert _commitment(bot.engine).status == "open"


def test_only_a_key_worker_reached_by_email_can_own_a_commitment_by_name(bot: Bot) -> None:
    _session_on_monday(bot)
    refused = shown(bot.ask('commit "Kirsty Campbell" tidy the desks', COORDINATOR, "/session"))
    assert "No one called 'Kirsty Campbell' is in the partnership file with an email" in refused
    refused = shown(bot.ask('commit "dami okafor" tidy the desks', COORDINATOR, "/session"))
    assert "Dami Okafor is a coordinator reached by email" in refused and "[[people]]" in refused
    refused = shown(bot.ask('commit "Jamal Hussain" tidy the desks', OTHER, "/session"))
    assert "Only the partnership's coordinators" in refused
    with Session(bot.engine) as session:
        assert session.exec(select(Commitment)).all() == []


def test_the_nudge_on_the_due_date_comes_by_email_too_with_fresh_links(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    _jamal_commits(bot)
    first = links_in(_followed_up(bot, mailbox))
    context = replace(job_context(bot.engine, bot.fake), mailing=MAILING)
    due_day = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
    nudges.run.run(context, due_day)
    nudges.run.run(context, due_day + timedelta(minutes=15))  # claimed: not twice
    send_emails(bot, smtp_url)
    assert [m["Subject"] for m in box.to(JAMAL)] == [
        "Your commitments from Winter session",
        "Reminder: a commitment from Winter session",
    ]
    again = links_in(box.to(JAMAL)[1])
    assert set(again) == set(first) and not set(again.values()) & set(first.values())
    assert _commitment(bot.engine).nudges == 2


def test_partner_staff_not_on_slack_are_in_the_directory_and_followed_up_by_email(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    card = shown(bot.ask("org BHA"))
    assert "Not on Slack, by email" in card
    assert "Fiona Reid (NHS community link worker): fiona.reid@nhs.example.net" in card
    _session_on_monday(bot)
    added = shown(
        bot.ask('commit "Fiona Reid" book the GP registration talk', COORDINATOR, "/session")
    )
    assert "Fiona Reid (by email)" in added
    box, smtp_url = mailbox
    nudges.run.run(replace(job_context(bot.engine, bot.fake), mailing=MAILING), WEDNESDAY_10)
    send_emails(bot, smtp_url)
    (message,) = box.to("fiona.reid@nhs.example.net")
    working = links_in(message)[f"Still working (C{_commitment(bot.engine).id})"]
    assert follow(bot, working, "POST")[0] == 200
    assert _commitment(bot.engine).status == "working"


# --- The evening before a visit, and whoami -------------------------------------------------------


def test_the_evening_before_a_visit_the_key_worker_not_on_slack_is_reminded_by_email(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    approve = emailed_request(visitors, mailbox)["Approve the visit"]
    assert follow(visitors, approve, "POST")[0] == 200
    with Session(visitors.engine) as session:
        booking = session.exec(select(DeskBooking)).one()
    evening = datetime.combine(booking.day - timedelta(days=1), time(17, 0), LONDON)
    context = replace(job_context(visitors.engine, visitors.fake), mailing=MAILING)
    reminders.hotdesk.run(context, evening)
    reminders.hotdesk.run(context, evening + timedelta(minutes=5))  # claimed: not twice
    send_emails(visitors, smtp_url)
    reminded = [m for m in box.to(JAMAL) if m["Subject"].startswith("Visitor tomorrow")]
    assert len(reminded) == 1
    text = reminded[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "from Bridges Health Access uses a hot desk at Northside" in text
    assert f"(booking D{booking.id})" in text


def test_whoami_shows_the_digest_by_email(bot: Bot) -> None:
    assert "*Weekly digest by email*: off (`/partners digest email on`" in shown(bot.ask("whoami"))
    bot.ask("digest email on sam@harbour.example.org")
    assert "waiting for you to confirm sam@harbour.example.org" in shown(bot.ask("whoami"))
    with session_scope(bot.engine) as session:
        member = session.exec(select(Member).where(Member.slack_user_id == MEMBER)).one()
        member.digest_email, member.digest_email_asked = "sam@harbour.example.org", None
    assert "to sam@harbour.example.org (`/partners digest email off`" in shown(bot.ask("whoami"))


# --- Coordinators reached by email ----------------------------------------------------------------

COORDINATORS = '[partnership]\nname = "P"\n\n[[coordinators]]\nslack = "U0000COORD1"\n\n'


def test_the_partnership_file_takes_a_coordinator_by_email_and_refuses_one_with_neither(
    loaded_engine: Engine,
) -> None:
    spec = read_partnership_file(SAMPLE_PARTNERSHIP, jobs=JOBS)
    assert [(c.name, c.slack, c.email) for c in spec.coordinators if not c.slack] == [
        ("Dami Okafor", None, DAMI)
    ]
    with Session(loaded_engine) as session:  # loaded by the fixture: kept apart from members
        assert [(c.name, c.email) for c in session.exec(select(EmailCoordinator))] == [
            ("Dami Okafor", DAMI)
        ]
        assert DAMI not in {m.name for m in session.exec(select(Member))}
    with pytest.raises(PartnershipFileError) as neither:
        parse_partnership(COORDINATORS + '[[coordinators]]\nname = "Dami Okafor"\n', jobs=JOBS)
    assert str(neither.value) == (
        "partnership file, line 7, coordinators[2]: needs slack (a Slack member id like "
        '"U0123ABCD"), email (for a coordinator not on Slack), or both'
    )
    with pytest.raises(PartnershipFileError, match=r"line 7, coordinators\[2\]\.name: is required"):
        parse_partnership(COORDINATORS + f'[[coordinators]]\nemail = "{DAMI}"\n', jobs=JOBS)
    with pytest.raises(PartnershipFileError, match=r"coordinators\[2\]\.email: 'dami' is not in"):
        parse_partnership(
            COORDINATORS + '[[coordinators]]\nname = "D"\nemail = "dami"\n', jobs=JOBS
        )
    both = parse_partnership(
        COORDINATORS + f'[[coordinators]]\nslack = "U0000DAMI"\nemail = "{DAMI}"\n', jobs=JOBS
    )  # Slack is used: the address is not kept
    assert apply_partnership(loaded_engine, both).coordinators.added == 1
    with Session(loaded_engine) as session:  # taken out of the file (given a Slack id): gone
        assert session.exec(select(EmailCoordinator)).all() == []


def _owner_needs_help(bot: Bot, note: str) -> None:
    """MEMBER owns a commitment from yesterday's session and asks for help with it in Slack:
    the Need help button, then the note's form."""
    bot.ask("join HRS")
    entry = SessionInput(
        title="Winter session", kind="reflective", held_on=date.today() - timedelta(days=1),
        commitments=(CommitmentInput(MEMBER, "Share the job description"),),
    )  # fmt: skip
    Sessions(bot.engine, LONDON).record(COORDINATOR, entry, date.today(), Profile)
    mine = bot.ask("mine", command="/session")
    need_help = next(b for b in buttons(mine) if b["action_id"].endswith(":help"))
    bot.slack.block_action(MEMBER, need_help["action_id"], need_help["value"])
    form = bot.fake.wait_for("views.open")[-1].response["view"]
    typed_note = {"note": {"value": {"type": "plain_text_input", "value": note}}}
    (answered,) = replies_to(bot, lambda: bot.slack.view_submission(MEMBER, form, typed_note))
    assert "coordinators have been told" in shown(answered)
    settled(bot)


def test_need_help_reaches_the_slack_coordinators_by_dm_and_the_email_one_by_email(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    _owner_needs_help(bot, "Who has a template <for> it?")
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    dm = shown(told[-1].args)
    assert "needs help" in dm and "Share the job description" in dm and "template" in dm
    assert send_emails(bot, smtp_url).startswith("1 emails sent")
    (message,) = box.received
    assert message["To"] == DAMI and message["Subject"] == "Help needed: C1 from Winter session"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    said = "Sam Member needs help with a commitment from Winter session:"
    line = "C1: Share the job description · needs help (Who has a template <for> it?)"
    assert said in plain and line in plain
    assert said in page and html.escape(line, quote=False) in page and "<for>" not in page
    # what the DM says and no more: no Slack id, no other commitment, no organisation's people
    lines = plain.splitlines()
    body = lines[: lines.index("--")]
    assert [b for b in body if b] == ["Sam Member needs help with a commitment", said, line]
    assert MEMBER not in plain and MEMBER not in page
    assert send_emails(bot, smtp_url).startswith("0 emails sent")  # once


def test_taking_someone_out_of_the_file_forgets_every_email_to_their_address(bot: Bot) -> None:
    _owner_needs_help(bot, "Who has a template?")
    visit = Draft(trusted("Visit"), trusted("Visit"), (trusted("A visitor is coming."),))
    with session_scope(bot.engine) as session:
        queue(session, "test:jamal", JAMAL, write(visit))
    with Session(bot.engine) as session:
        assert sorted(d.recipient for d in session.exec(select(EmailDelivery))) == [DAMI, JAMAL]
    sample = SAMPLE_PARTNERSHIP.read_text()
    without_dami = sample.replace(f'[[coordinators]]\nname = "Dami Okafor"\nemail = "{DAMI}"\n', "")
    assert without_dami != sample
    apply_partnership(bot.engine, parse_partnership(without_dami, jobs=JOBS))
    with Session(bot.engine) as session:  # erased as the file erases: her emails go with her
        assert session.exec(select(EmailCoordinator)).all() == []
        assert [d.recipient for d in session.exec(select(EmailDelivery))] == [JAMAL]


@pytest.mark.parametrize("more_settings", [{}])  # no email settings: email is off
def test_while_email_is_off_the_email_coordinator_is_not_written_to(bot: Bot) -> None:
    _owner_needs_help(bot, "Who has a template?")
    with Session(bot.engine) as session:
        assert session.exec(select(EmailDelivery)).all() == []


def test_the_weekly_digest_sends_the_email_coordinator_the_coordinators_copy(
    visitors: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    post_last_week(visitors.engine, "Saturday drop-in & <b>music</b>")
    context = replace(job_context(visitors.engine, visitors.fake), mailing=MAILING)
    run_job("digest", context, MONDAY_9)
    run_job("digest", context, MONDAY_9 + timedelta(hours=1))  # the week is done: not again
    send_emails(visitors, smtp_url)
    (digest,) = box.to(DAMI)
    assert digest["Subject"].startswith("Riverside Refugee and Care Leavers Partnership")
    assert digest["List-Unsubscribe"] is None  # theirs by the file, not by asking
    plain = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Saturday drop-in & <b>music</b> — Olu Other" in plain
    assert "Saturday drop-in &amp; &lt;b&gt;music&lt;/b&gt;" in page
    assert "Quiet for four weeks or more (coordinators only)" in plain
    assert "Safe Passage Legal Advice" in plain.split("Quiet for four weeks")[1]
    assert "as a coordinator of the Riverside Refugee and Care Leavers Partnership" in plain


def test_the_summary_before_a_session_reaches_the_email_coordinator(
    loaded_engine: Engine, fake_slack: FakeSlack, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    held, next_on = date(2026, 12, 1), date(2026, 12, 10)
    entry = SessionInput(
        title="Winter session", kind="reflective", held_on=held, next_on=next_on,
        commitments=(CommitmentInput(MEMBER, "Share the job description"),),
    )  # fmt: skip
    Sessions(loaded_engine, LONDON).record(COORDINATOR, entry, held, Profile)
    context = replace(job_context(loaded_engine, fake_slack), smtp_url=smtp_url, mailing=MAILING)
    two_days_before = datetime(2026, 12, 8, 10, tzinfo=LONDON)
    nudges.run.run(context, two_days_before)
    nudges.run.run(context, two_days_before + timedelta(minutes=15))  # claimed: not twice
    fake_slack.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == COORDINATOR and "Before the next session" in shown(c.args),
    )
    email_job.run.run(context, datetime.now(UTC))
    (summary,) = box.to(DAMI)
    assert summary["Subject"] == "Before the next session (Thursday 10 December 2026)"
    plain = summary.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Commitments from Winter session: 1 open" in plain
    assert "No reply yet from" in plain and "Harbour Refugee Support" in plain


def test_someone_leaving_slack_is_handed_over_to_the_email_coordinator_too(
    bot: Bot, mailbox: tuple[Mailbox, str]
) -> None:
    box, smtp_url = mailbox
    bot.ask("join HRS")
    entry = SessionInput(
        title="Winter session", kind="reflective", held_on=date.today() - timedelta(days=1),
        commitments=(CommitmentInput(MEMBER, "Share the job description"),),
    )  # fmt: skip
    Sessions(bot.engine, LONDON).record(COORDINATOR, entry, date.today(), Profile)
    for _ in range(2):  # Slack tells of the change again: the email goes once that day
        bot.slack.event({"type": "user_change", "user": {"id": MEMBER, "deleted": True}})
        settled(bot)
    told = bot.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == COORDINATOR)
    assert "deactivated" in shown(told[0].args)
    assert send_emails(bot, smtp_url).startswith("1 emails sent")
    (message,) = box.to(DAMI)
    assert message["Subject"] == "Sam Member has left Slack"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sam Member (Harbour Refugee Support) has been deactivated in Slack" in plain
    assert "* Share the job description" in plain and MEMBER not in plain
