"""The Slack workspaces the playground plays, each installed as a deployment serving many is:
through the real Add to Slack flow, over HTTP, into a partnership of its own, seeded from the
sample partnership file.

The fake Slack holds every workspace's people and channels side by side, and Slack's member ids
are unique across workspaces, so a second workspace is a renamed copy of the sample: its own
name, channels, member ids and email addresses (`for_workspace`). Nothing one workspace's page
shows can then be another's.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from email.utils import getaddresses

from sqlalchemy import Engine

from bot.fakeslack import TEAM_ID, FakeSlack
from bot.fakeslack.driver import SlackDriver
from bot.partnership_scope import in_partnership
from bot.services.directory import Directory, Profile
from bot.services.partnership_file import apply_partnership
from bot.services.partnership_file.read import PartnershipSpec
from bot.services.workspace import partnership_of_team

CHANNEL_KINDS = ("updates", "opportunities", "digest")
# The app's own pages, on 127.0.0.1: never through an HTTP(S)_PROXY from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Workspace:
    """One workspace: its partnership, Slack's side of its requests, what the page shows."""

    number: int  # 1, 2, …: the page's `?workspace=`
    name: str  # its partnership's, as installed
    partnership: int
    driver: SlackDriver  # sends the page's requests as this workspace's
    channels: tuple[str, ...]  # its updates, opportunities and digest channels, as set
    addresses: frozenset[str]  # its people reached by email: its emails are those to them

    def emailed(self, to: str) -> bool:
        """Whether an email's `To` header names one of this workspace's people."""
        return any(address.lower() in self.addresses for _, address in getaddresses([to]))


def team_of(number: int) -> str:
    """The first workspace is the fake Slack's own team; the others are made up beside it."""
    return TEAM_ID if number == 1 else f"{TEAM_ID}{number}"


def for_workspace(spec: PartnershipSpec, number: int) -> PartnershipSpec:
    """Workspace `number`'s partnership: the first's is `spec`; another's is `spec` with its own
    name, channels, member ids (`U0000AMINA1` → `U20000AMINA1`) and addresses."""
    if number == 1:
        return spec

    def member(slack: str | None) -> str | None:
        return slack and f"{slack[0]}{number}{slack[1:]}"

    def address(email: str | None) -> str | None:
        local, _, domain = (email or "").partition("@")
        return email and f"{local}{number}@{domain}"

    def channel(where: str | None) -> str | None:
        return where and (f"{where}-{number}" if where.startswith("#") else f"{where}{number}")

    return replace(
        spec,
        name=f"{spec.name} (workspace {number})",
        channels={kind: channel(where) for kind, where in spec.channels.items()},
        coordinators=tuple(
            replace(c, slack=member(c.slack), email=address(c.email)) for c in spec.coordinators
        ),
        organisations=tuple(
            replace(
                organisation,
                key_workers=tuple(
                    replace(w, slack=member(w.slack), email=address(w.email))
                    for w in organisation.key_workers
                ),
            )
            for organisation in spec.organisations
        ),
        people=tuple(replace(p, email=address(p.email) or p.email) for p in spec.people),
    )


def open_workspace(
    number: int, spec: PartnershipSpec, engine: Engine, fake: FakeSlack, app_url: str, secret: str
) -> Workspace:
    """Workspace `number`: its people in the fake Slack, the app installed there by its first
    coordinator on Slack, its partnership loaded from `spec` and its people members, each in
    their organisation."""
    people = _people(spec)
    team = team_of(number)
    for user_id, name, _ in people:
        fake.add_user(user_id, name, display_name=name.split()[0], team_id=team)
    installer = next((c.slack for c in spec.coordinators if c.slack), None) or people[0][0]
    partnership = install(app_url, fake, engine, team, installer, spec.name)
    with in_partnership(partnership):
        apply_partnership(engine, spec)
        directory = Directory(engine)
        for user_id, name, code in people:
            if code:
                directory.join(user_id, code, {user_id: Profile(name, tz="Europe/London")}.get)
    addresses = [c.email for c in spec.coordinators if not c.slack]
    addresses += [w.email for o in spec.organisations for w in o.key_workers if not w.slack]
    addresses += [p.email for p in spec.people]
    return Workspace(
        number,
        spec.name,
        partnership,
        SlackDriver(f"{app_url}/slack/events", secret, fake, team),
        tuple(channel for kind in CHANNEL_KINDS if (channel := spec.channels[kind])),
        frozenset(address.lower() for address in addresses if address),
    )


def _people(spec: PartnershipSpec) -> list[tuple[str, str, str | None]]:
    """Its people on Slack: (member id, name, organisation code): the key workers in theirs,
    the coordinators shared out among the organisations."""
    people: list[tuple[str, str, str | None]] = [
        (w.slack, w.name, o.code) for o in spec.organisations for w in o.key_workers if w.slack
    ]
    codes = [organisation.code for organisation in spec.organisations]
    on_slack = [(c.slack, c.name) for c in spec.coordinators if c.slack]  # not those by email
    for number, (user_id, name) in enumerate(on_slack):
        people.append((user_id, name, codes[number % len(codes)] if codes else None))
    if not people:
        raise ValueError(f"{spec.name}: the playground needs someone on Slack to install it")
    return people


def install(
    app_url: str, fake: FakeSlack, engine: Engine, team: str, installer: str, team_name: str
) -> int:
    """Install the app in `team` as a browser and Slack do: open its install page, follow Add
    to Slack, "Allow" as `installer`, come back to its redirect with the code (and the state's
    cookie). The partnership the workspace is now."""
    status, page, cookie = _get(f"{app_url}/slack/install")
    link = re.search(r'href="([^"]+)"', page)
    if status != 200 or link is None:
        raise RuntimeError(f"the app's install page offered no Add to Slack link ({status})")
    back = fake.mint_code(html.unescape(link.group(1)), team, installer, team_name)
    status, page, _ = _get(back, cookie)
    partnership = partnership_of_team(engine, team)
    if status != 200 or partnership is None:
        raise RuntimeError(f"installing in {team} failed ({status}): {page[:300]}")
    return partnership


def _get(url: str, cookie: str = "") -> tuple[int, str, str]:
    """A browser's GET: the status, the page, and the cookie it set ("" if none)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    return status, body.decode(), (headers.get("Set-Cookie") or "").split(";")[0]
