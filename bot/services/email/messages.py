"""An email as the bot writes it: plain text and HTML from the same Cleared paragraphs, an
optional calendar invitation, and the headers a mail client needs.

The HTML is small and table-free, with inline styles only where Outlook ignores the rest; the
buttons are plain links, so they work in every client and with a screen reader.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.services.gate import Cleared, HtmlShown, html, html_join, html_link, html_markup

PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    '<body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5; '
    'color: #1d1c1d; max-width: 40em;">{body}</body></html>'
)
BUTTON_STYLE = (
    "display: inline-block; padding: 10px 18px; margin: 0 12px 12px 0; background: #1a5e9a; "
    "color: #ffffff; text-decoration: none; border-radius: 4px; font-weight: bold;"
)


@dataclass(frozen=True)
class Action:
    """A link in an email: what it says, and the signed address it opens."""

    label: Cleared
    url: str


@dataclass(frozen=True)
class Email:
    """What one email says, stored rendered on its delivery (`to_json`)."""

    subject: str
    text: str
    html: str
    calendar: str = ""  # an invitation's text, with its METHOD inside
    method: str = ""  # REQUEST or CANCEL, for the part's content type
    about: str = ""  # what it was for, to tell the coordinators if it cannot be delivered
    unsubscribe: str = ""  # a one-click unsubscribe link (RFC 8058), for the digest

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Email:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Section:
    """A titled list (the digest's sections)."""

    title: Cleared
    items: Sequence[Cleared]


@dataclass(frozen=True)
class Draft:
    """The parts of an email before it is written out: all typed text is Cleared."""

    subject: Cleared
    heading: Cleared
    paragraphs: Sequence[Cleared]
    actions: Sequence[Action] = ()
    footer: Sequence[Cleared] = field(default_factory=tuple)
    sections: Sequence[Section] = ()


def write(
    draft: Draft, *, calendar: str = "", method: str = "", about: str = "", unsubscribe: str = ""
) -> Email:
    """Both parts from the same words; the HTML escaped by the gate."""
    text_lines = [draft.heading, "", *draft.paragraphs]
    for part in draft.sections:
        text_lines += ["", str(part.title), "-" * len(part.title)]
        text_lines += [f"* {item}" for item in part.items]
    for action in draft.actions:
        text_lines += ["", f"{action.label}: {action.url}"]
    if draft.footer:
        text_lines += ["", "--", *draft.footer]
    body: list[HtmlShown] = [
        html_markup('<h1 style="font-size: 20px;">{h}</h1>', h=html(draft.heading))
    ]
    body += [html_markup("<p>{p}</p>", p=html(p)) for p in draft.paragraphs]
    for part in draft.sections:
        items = html_join([html_markup("<li>{i}</li>", i=html(item)) for item in part.items])
        body.append(
            html_markup(
                '<h2 style="font-size: 17px;">{title}</h2><ul>{items}</ul>',
                title=html(part.title),
                items=items,
            )
        )
    if draft.actions:
        buttons = [html_link(action.url, action.label, BUTTON_STYLE) for action in draft.actions]
        body.append(html_markup("<p>{buttons}</p>", buttons=html_join(buttons)))
    if draft.footer:
        body.append(
            html_markup(
                '<p style="font-size: 13px; color: #616061;">{lines}</p>',
                lines=html_join([html(line) for line in draft.footer], "<br>"),
            )
        )
    page = html_markup(PAGE, title=html(draft.subject), body=html_join(body))
    return Email(
        subject=str(draft.subject), text="\n".join(text_lines) + "\n", html=str(page),
        calendar=calendar, method=method, about=about, unsubscribe=unsubscribe,
    )  # fmt: skip


def compose(email: Email, sender: str, recipient: str) -> EmailMessage:
    """The message as sent: plain text, HTML and the invitation as alternatives of one another
    (the shape Outlook and Gmail read as a meeting request)."""
    message = EmailMessage()
    message["From"] = f"Partnerbot <{sender}>"
    message["To"] = recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    if email.unsubscribe:  # RFC 2369 and RFC 8058: the mail client's own Unsubscribe button
        message["List-Unsubscribe"] = f"<{email.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.calendar:
        message.add_alternative(email.calendar, subtype="calendar", params={"method": email.method})
    return message
