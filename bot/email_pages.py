"""The pages an email's links open, under `/email/…`, served by the web process.

A GET only shows what the link would do, with a button: mail scanners and link previews follow
links, and must change nothing. The button POSTs to the same address, which makes the change
(once: the link's use is recorded with it). A link used already, expired or changed gets a plain
page saying so. Every link is read at one gate (`_opened`), and its page runs within the
partnership the link was made for, so no page can read or change another partnership's rows.
Pages are plain, accessible HTML: one heading, a sentence, one button; the token stays out of
other sites' logs (no referrer) and out of caches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sqlmodel import col, select

from bot.models import Partnership
from bot.partnership_scope import in_partnership
from bot.services.email import links
from bot.services.email.links import Link, LinkRefused, Mailing
from bot.services.gate import FieldsLookPersonal, HtmlShown, html, html_markup, trusted
from bot.services.hotdesk.types import Booking, HotdeskProblem
from bot.services.privacy import explain
from bot.services.sessions import NOTE_MAX, STATUSES, CommitmentView, SessionProblem
from bot.slack.blocks.sessions import coordinators_told
from bot.slack.booking_notices import Notifier
from bot.slack.wiring import Services

log = logging.getLogger("partnerbot.email")

PREFIX = "/email/"
StartResponse = Callable[..., Any]
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title} – Partnerbot</title>"
    "<style>body{{font-family:Arial,sans-serif;font-size:18px;line-height:1.5;max-width:36em;"
    "margin:2em auto;padding:0 1em;color:#1d1c1d}}button{{font-size:18px;padding:.6em 1.2em;"
    "background:#1a5e9a;color:#fff;border:0;border-radius:4px;cursor:pointer}}"
    "button:focus{{outline:3px solid #f2a900}}</style></head>"
    "<body><main><h1>{title}</h1>{body}</main></body></html>"
)
# What every page sends besides its body: kept out of caches, other sites' logs (a link's token,
# an OAuth code) and search engines, and allowed nothing but its own styles and forms.
PAGE_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    ),
)
DECISIONS = {"approve": ("Approve this visit?", "Approve the visit"),
             "decline": ("Decline this visit?", "Decline the visit")}  # fmt: skip
STATUS_WORDS = {"confirmed": "approved", "declined": "declined", "cancelled": "cancelled",
                "released": "released (nobody answered in time)"}  # fmt: skip


def _page(start_response: StartResponse, status: str, title: str, body: HtmlShown) -> list[bytes]:
    content = html_markup(PAGE, title=html(trusted(title)), body=body).encode()
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(content))),
            *PAGE_HEADERS,
        ],
    )
    return [content]


def _paragraph(text: str) -> HtmlShown:
    return html_markup("<p>{text}</p>", text=html(trusted(text)))


def _visit(booking: Booking) -> str:
    start, end = booking.part.hours
    return (
        f"{booking.visitor_name} from {booking.visitor_organisation or 'a partner organisation'}"
        f" at {booking.host.name} on {booking.day:%A %-d %B %Y}, {booking.part.label} "
        f"({start:%H:%M}–{end:%H:%M}), booking {booking.ref}"
    )


def email_pages(services: Services) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app for `/email/<token>`."""
    mailing = services.digest_email.mailing  # the Mailing every service that signs links holds

    def pages(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD", "POST"):
            return _page(
                start_response,
                "405 Method Not Allowed",
                "Not here",
                _paragraph("Open the link from the email."),
            )
        try:
            link = _opened(services, mailing, environ.get("PATH_INFO", "")[len(PREFIX) :])
            with in_partnership(link.partnership):
                zoned = services.in_its_zone()  # its dates and times, as in Slack
                return _answer(zoned, link, method == "POST", environ, start_response)
        except LinkRefused as refused:
            return _page(
                start_response, "410 Gone", "This link can't be used", _paragraph(str(refused))
            )
        except (HotdeskProblem, SessionProblem) as problem:  # gone (erased, past retention)
            return _page(start_response, "410 Gone", "Nothing to do", _paragraph(str(problem)))

    return pages


def _opened(services: Services, mailing: Mailing | None, token: str) -> Link:
    """The one gate every page's link comes through, before anything is read for it: signed
    with this deployment's secret, unchanged, not expired, and for a partnership it still
    serves (the page then acts within that partnership); else LinkRefused."""
    if mailing is None:  # email switched off since the link was sent
        raise LinkRefused(links.TAMPERED)
    link = links.read(mailing.secret, token, services.now())
    with services.engine.connect() as connection:
        served = connection.execute(
            select(Partnership.id).where(col(Partnership.id) == link.partnership)
        ).first()
    if served is None:
        raise LinkRefused(links.TAMPERED)
    return link


def _answer(
    services: Services,
    link: Link,
    post: bool,
    environ: dict[str, Any],
    start_response: StartResponse,
) -> list[bytes]:
    """The link's page (a GET or HEAD: what it would do), or its button's change (a POST)."""
    if link.purpose in ANSWERS:  # the one page with a form to read
        if post:
            return _commitment_answered(services, link, start_response, _note(environ))
        return _commitment_page(services, link, start_response)
    look, change = PAGES[link.purpose]
    return (change if post else look)(services, link, start_response)


def _confirm(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    """What the link would do, and the button that does it; nothing changes."""
    booking, used = services.hotdesk.booking_for_link(link)
    if used or booking.status != "pending":
        said = STATUS_WORDS.get(booking.status, "still waiting for an answer")
        body = _paragraph(f"This visit was {said} already: {_visit(booking)}. Nothing more to do.")
        return _page(start_response, "200 OK", "Already answered", body)
    title, button = DECISIONS[link.purpose]
    body = html_markup(
        '{visit}{note}<form method="post"><button type="submit">{button}</button></form>',
        visit=_paragraph(_visit(booking) + "."),
        note=_paragraph("The visitor is told in Slack as soon as you confirm."),
        button=html(trusted(button)),
    )
    return _page(start_response, "200 OK", title, body)


def _decide(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    """The confirmation's button: the decision made, once, and the visitor told in Slack."""
    notifier = Notifier(services)
    ended = services.hotdesk.decide_by_link(link, notices=notifier.for_end)
    if ended.already:
        said = STATUS_WORDS.get(ended.booking.status, ended.booking.status)
        body = _paragraph(f"This visit was {said} already, so nothing was changed.")
        return _page(start_response, "200 OK", "Already answered", body)
    problems = notifier.after_end(ended)
    verb = STATUS_WORDS[ended.booking.status]
    told = (
        "The visitor couldn't be told in Slack just now; please let them know."
        if problems
        else "The visitor has been told in Slack."
    )
    body = html_markup(
        "{visit}{told}",
        visit=_paragraph(f"You {verb} the visit: {_visit(ended.booking)}."),
        told=_paragraph(told),
    )
    return _page(start_response, "200 OK", f"Visit {verb}", body)


def _address_page(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    """A digest address to confirm, and the button; nothing changes."""
    address, used = services.digest_email.address_to_confirm(link)
    if used or not address:
        body = _paragraph("This address was confirmed already, or is no longer asked for.")
        return _page(start_response, "200 OK", "Nothing to confirm", body)
    body = html_markup(
        '{asked}<form method="post"><button type="submit">Confirm this address</button></form>',
        asked=_paragraph(f"Send the partnership's weekly digest to {address}?"),
    )
    return _page(start_response, "200 OK", "Confirm your address", body)


def _address_confirmed(
    services: Services, link: Link, start_response: StartResponse
) -> list[bytes]:
    address = services.digest_email.confirm(link)
    if not address:
        body = _paragraph("This address is no longer asked for, so nothing was changed.")
        return _page(start_response, "200 OK", "Nothing to confirm", body)
    body = _paragraph(f"The weekly digest will come to {address}. Each one has a link to stop it.")
    return _page(start_response, "200 OK", "Address confirmed", body)


def _unsubscribe_page(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    address = services.digest_email.address_to_unsubscribe(link)
    if not address:
        body = _paragraph("The digest isn't coming by email any more; nothing to stop.")
        return _page(start_response, "200 OK", "Already stopped", body)
    body = html_markup(
        '{asked}<form method="post"><button type="submit">Unsubscribe</button></form>',
        asked=_paragraph(f"Stop sending the weekly digest to {address}?"),
    )
    return _page(start_response, "200 OK", "Unsubscribe from the digest", body)


def _unsubscribed(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    """The page's button, or a mail client's one-click POST (RFC 8058): no confirmation."""
    address = services.digest_email.unsubscribe(link)
    said = f"No more digests to {address}." if address else "The digest was stopped already."
    body = _paragraph(f"{said} A member can ask again in Slack: /partners digest email on.")
    return _page(start_response, "200 OK", "Unsubscribed", body)


ANSWERS = {"done": ("Mark it done?", "Mark it done"),
           "working": ("Still working on it?", "Still working on it"),
           "help": ("Ask the coordinators for help?", "Ask for help")}  # fmt: skip
NOTE_FORM = (
    '<form method="post"><p><label for="note">{label}</label></p>'
    '<p><textarea id="note" name="note" rows="5" cols="50" maxlength="{most}">{note}</textarea>'
    '</p><button type="submit">{button}</button></form>'
)


def _commitment(commitment: CommitmentView) -> str:
    due = f", by {commitment.due_on:%A %-d %B %Y}" if commitment.due_on else ""
    return f"{commitment.ref} from {commitment.session_title}: {commitment.what}{due}"


def _answer_form(purpose: str, note: str = "") -> HtmlShown:
    """The button that makes the change; for Need help, with the note's box (as typed)."""
    button = html(trusted(ANSWERS[purpose][1]))
    if purpose != "help":
        return html_markup(
            '<form method="post"><button type="submit">{button}</button></form>', button=button
        )
    return html_markup(
        NOTE_FORM,
        label=html(
            trusted(
                "What help do you need? One or two lines for the coordinators; no client's "
                "name, address, phone number or other details."
            )
        ),
        most=html(trusted(str(NOTE_MAX))),
        note=html(trusted(note)),  # their own words, back only to them, to correct
        button=button,
    )


def _commitment_page(services: Services, link: Link, start_response: StartResponse) -> list[bytes]:
    """A follow-up's Done / Still working / Need help: the commitment and the button (with the
    note's box for Need help); nothing changes."""
    commitment, used = services.sessions.commitment_for_link(link)
    if used:
        status = STATUSES.get(commitment.status, commitment.status)
        body = _paragraph(f"This link was used already: {_commitment(commitment)} is {status}.")
        return _page(start_response, "200 OK", "Already answered", body)
    body = html_markup(
        "{what}{form}",
        what=_paragraph(_commitment(commitment) + "."),
        form=_answer_form(link.purpose),
    )
    return _page(start_response, "200 OK", ANSWERS[link.purpose][0], body)


def _note(environ: dict[str, Any]) -> str:
    """The note typed on the Need help page (a form's POST body), cut to what is kept."""
    try:
        size = min(int(environ.get("CONTENT_LENGTH") or 0), 16 * NOTE_MAX)
    except ValueError:
        size = 0
    body = environ["wsgi.input"].read(size).decode("utf-8", "replace") if size else ""
    return parse_qs(body).get("note", [""])[0][: 2 * NOTE_MAX]


def _commitment_answered(
    services: Services, link: Link, start_response: StartResponse, note: str
) -> list[bytes]:
    """The page's button: the commitment's status changed as the Slack buttons change it (the
    coordinators told of a need for help the same way), once. A note the privacy guard holds
    back changes nothing: the page says why and shows the note to correct."""
    try:
        change = services.sessions.answer_by_link(
            link, note, notices=coordinators_told(services.today())
        )
    except FieldsLookPersonal as held:
        looks = held.held["note"]
        body = html_markup(
            "{why}{form}",
            why=_paragraph(
                "Your note wasn't sent: it looks like it holds a client's personal data ("
                f"{looks.findings[0].masked}). {explain(looks.findings[0].kind)} Say what help "
                "you need without who it is for; the coordinators can ask you for details."
            ),
            form=_answer_form("help", note),
        )
        return _page(start_response, "422 Unprocessable Content", "Not sent: check the note", body)
    services.sender.notices(change.notices)
    status = STATUSES[change.commitment.status]
    said = f"{_commitment(change.commitment)} is now {status}."
    if change.commitment.status == "help" and change.changed:
        said += " The coordinators have been told."
    return _page(start_response, "200 OK", "Thank you", _paragraph(said))


Page = Callable[[Services, Link, StartResponse], list[bytes]]
PAGES: dict[str, tuple[Page, Page]] = {  # a link's purpose (but ANSWERS'): its GET page, its POST
    "approve": (_confirm, _decide),
    "decline": (_confirm, _decide),
    "confirm": (_address_page, _address_confirmed),
    "unsubscribe": (_unsubscribe_page, _unsubscribed),
}
