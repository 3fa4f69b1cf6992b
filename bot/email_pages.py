"""The pages an email's links open, under `/email/…`, served by the web process.

A GET only shows what the link would do, with a button: mail scanners and link previews follow
links, and must change nothing. The button POSTs to the same address, which makes the change
(once: the link's use is recorded with it). A link used already, expired or changed gets a plain
page saying so. Pages are plain, accessible HTML: one heading, a sentence, one button; the
token stays out of other sites' logs (no referrer) and out of caches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.services.email import links
from bot.services.email.links import LinkRefused
from bot.services.gate import HtmlShown, html, html_markup, trusted
from bot.services.hotdesk.types import Booking, HotdeskProblem
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
            ("Cache-Control", "no-store"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Robots-Tag", "noindex"),
            (
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
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

    def pages(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        token = environ.get("PATH_INFO", "")[len(PREFIX) :]
        method = environ.get("REQUEST_METHOD", "GET")
        pages = PAGES.get(links.purpose_of(token), PAGES["approve"])  # refused as not ours
        try:
            if method == "POST":
                return pages[1](services, token, start_response)
            if method in ("GET", "HEAD"):
                return pages[0](services, token, start_response)
        except LinkRefused as refused:
            return _page(
                start_response, "410 Gone", "This link can't be used", _paragraph(str(refused))
            )
        except HotdeskProblem as problem:  # the booking is gone (erased, or past retention)
            return _page(start_response, "410 Gone", "Nothing to do", _paragraph(str(problem)))
        return _page(
            start_response,
            "405 Method Not Allowed",
            "Not here",
            _paragraph("Open the link from the email."),
        )

    return pages


def _confirm(services: Services, token: str, start_response: StartResponse) -> list[bytes]:
    """What the link would do, and the button that does it; nothing changes."""
    link, booking, used = services.hotdesk.booking_for_link(token, services.now())
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


def _decide(services: Services, token: str, start_response: StartResponse) -> list[bytes]:
    """The confirmation's button: the decision made, once, and the visitor told in Slack."""
    notifier = Notifier(services)
    ended = services.hotdesk.decide_by_link(token, services.now(), notices=notifier.for_end)
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


def _address_page(services: Services, token: str, start_response: StartResponse) -> list[bytes]:
    """A digest address to confirm, and the button; nothing changes."""
    address, used = services.digest_email.address_to_confirm(token, services.now())
    if used or not address:
        body = _paragraph("This address was confirmed already, or is no longer asked for.")
        return _page(start_response, "200 OK", "Nothing to confirm", body)
    body = html_markup(
        '{asked}<form method="post"><button type="submit">Confirm this address</button></form>',
        asked=_paragraph(f"Send the partnership's weekly digest to {address}?"),
    )
    return _page(start_response, "200 OK", "Confirm your address", body)


def _address_confirmed(
    services: Services, token: str, start_response: StartResponse
) -> list[bytes]:
    address = services.digest_email.confirm(token, services.now())
    if not address:
        body = _paragraph("This address is no longer asked for, so nothing was changed.")
        return _page(start_response, "200 OK", "Nothing to confirm", body)
    body = _paragraph(f"The weekly digest will come to {address}. Each one has a link to stop it.")
    return _page(start_response, "200 OK", "Address confirmed", body)


def _unsubscribe_page(services: Services, token: str, start_response: StartResponse) -> list[bytes]:
    address = services.digest_email.address_to_unsubscribe(token, services.now())
    if not address:
        body = _paragraph("The digest isn't coming by email any more; nothing to stop.")
        return _page(start_response, "200 OK", "Already stopped", body)
    body = html_markup(
        '{asked}<form method="post"><button type="submit">Unsubscribe</button></form>',
        asked=_paragraph(f"Stop sending the weekly digest to {address}?"),
    )
    return _page(start_response, "200 OK", "Unsubscribe from the digest", body)


def _unsubscribed(services: Services, token: str, start_response: StartResponse) -> list[bytes]:
    """The page's button, or a mail client's one-click POST (RFC 8058): no confirmation."""
    address = services.digest_email.unsubscribe(token, services.now())
    said = f"No more digests to {address}." if address else "The digest was stopped already."
    body = _paragraph(f"{said} A member can ask again in Slack: /partners digest email on.")
    return _page(start_response, "200 OK", "Unsubscribed", body)


Page = Callable[[Services, str, StartResponse], list[bytes]]
PAGES: dict[str, tuple[Page, Page]] = {  # a link's purpose: (its GET page, its POST)
    "approve": (_confirm, _decide),
    "decline": (_confirm, _decide),
    "confirm": (_address_page, _address_confirmed),
    "unsubscribe": (_unsubscribe_page, _unsubscribed),
}
