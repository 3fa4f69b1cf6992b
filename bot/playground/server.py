"""The playground: the real Bolt app, listeners and jobs on the embedded SQLite default, the
project's fake Slack Web API, and a local page (127.0.0.1 only) that plays Slack's part.

Every request from the page reaches the bot as Slack's would: signed slash commands,
`block_actions` and `view_submission` payloads, and the `app_home_opened` event, sent by the
same driver the tests use. What the bot sends back lands in the fake Slack, which the page reads.

The bot runs as a deployment serving many workspaces does (OAuth mode), even for one: each
workspace the playground plays is installed through Add to Slack into its own partnership
(bot.playground.workspaces), and the page for `/?workspace=N` is that workspace's alone; the
page at `/side-by-side` shows them all.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import Engine

from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.fakeslack import CLIENT_ID, CLIENT_SECRET, FakeSlack, UploadedFile
from bot.fakeslack.server import serve_in_background
from bot.partnership_scope import in_partnership
from bot.playground import WORKSPACES_MAX
from bot.playground.mailsink import MailSink
from bot.playground.workspaces import Workspace, for_workspace, open_workspace
from bot.services.directory import Directory
from bot.services.email.links import Mailing
from bot.services.partnership_file import SAMPLE_PARTNERSHIP, read_partnership_file
from bot.slack.app import create_app
from bot.web import wsgi_app
from jobs.clock import job_client, run_job
from jobs.context import JobContext
from jobs.registry import JOBS

log = logging.getLogger("partnerbot.playground")

HOST = "127.0.0.1"  # never anything else: the page can act as anyone
# The page, served as it is (no build step); package data, so a wheel install has it too.
STATIC = Path(str(resources.files("bot.playground").joinpath("static")))
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
FILE_TYPES = {  # a file a message carries, served to the page: images shown, the rest downloaded
    ".png": "image/png",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".ics": "text/calendar; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILES_PATH = "/files/"
DEFAULT_FILE = "playground.db"
ROUTES = frozenset({"command", "action", "submit", "close", "home", "job", "choose_file"})
# each POST /api/<name>
CHOSEN_FILE_MAX = 500_000  # bytes of a file chosen in a form: a partnership file is a few KB


@dataclass
class Playground:
    """The running pieces, shared by the page's requests: each for one of the workspaces."""

    fake: FakeSlack
    engine: Engine
    settings: Settings
    workspaces: tuple[Workspace, ...]
    mail: MailSink | None = None  # what the bot emailed (hot-desk notices, the digest)
    bound: str = ""

    def workspace(self, number: object) -> Workspace | None:
        """The workspace a request names (`?workspace=2`, or `"workspace": 2` in its body): the
        first when it names none, None when no workspace has that number."""
        if number in (None, ""):
            return self.workspaces[0]
        text = str(number)
        index = int(text) - 1 if text.isdigit() else -1
        return self.workspaces[index] if 0 <= index < len(self.workspaces) else None

    def members(self, workspace: Workspace) -> list[dict[str, str]]:
        with in_partnership(workspace.partnership):
            members = Directory(self.engine).members()
        return [
            {
                "id": m.slack_user_id,
                "name": m.name,
                "organisation": m.organisation or "no organisation yet",
            }
            for m in members
        ]

    def default_user(self, workspace: Workspace) -> str:
        """Who acts when the page names nobody: the workspace's first member."""
        return next(iter(self.members(workspace)), {"id": "U0"})["id"]

    def state(self, workspace: Workspace, user: str) -> dict[str, Any]:
        bot_dm = "D" + user[1:]
        messages = {
            channel: [
                _with_file_urls(message)
                for message in self.fake.messages(channel)
                + self.fake.ephemeral_messages(user, channel)
            ]
            for channel in [*workspace.channels, bot_dm]
        }
        modal = self.fake.modal_of(user)
        home = self.fake.home_of(user)
        return {
            "me": user,
            "workspace": {
                "number": workspace.number,
                "name": workspace.name,
                "count": len(self.workspaces),
            },
            "members": self.members(workspace),
            "channels": [
                {"id": c, "name": c.lstrip("#")} for c in dict.fromkeys(workspace.channels)
            ],
            "bot_dm": bot_dm,
            "messages": messages,
            "modal": modal
            and {
                "id": modal["id"],
                "title": _text(modal.get("title")),
                "submit": _text(modal.get("submit")) or "Submit",
                "close": _text(modal.get("close")) or "Cancel",
                "blocks": modal["blocks"],
                "errors": {},
            },
            "home": home and {"id": home["id"], "blocks": home["blocks"]},
            "jobs": sorted(JOBS),
            "emails": self.emails(workspace),
            "bound": self.bound,
        }

    def emails(self, workspace: Workspace) -> list[dict[str, Any]]:
        """What the bot emailed this workspace's people, and anyone no workspace knows."""
        sent = self.mail.messages() if self.mail else []
        return [
            message
            for message in sent
            if workspace.emailed(message["to"])
            or not any(other.emailed(message["to"]) for other in self.workspaces)
        ]

    def file(self, file_id: str) -> UploadedFile | None:
        """A file the app uploaded, by its id, for the page to show or download."""
        return next((f for f in self.fake.uploaded_files() if f.file_id == file_id), None)

    # What the page asks for: each takes the workspace, the person and the request's JSON body --

    def command(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel") or "D" + user[1:]
        name, _, rest = str(body.get("text", "")).strip().partition(" ")
        if not name.startswith("/"):
            return {"error": "Type a slash command, e.g. /partners help"}
        reply = workspace.driver.command(name, rest, user_id=user, channel_id=channel)
        return {"status": reply.status}

    def action(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        action = body.get("action") or {}
        view_id = body.get("view_id")
        view = None
        if view_id == "home":
            view = self.fake.home_of(user)
        elif view_id:
            view = self.fake.modal_of(user)
            if view is not None and view_id in ("modal", view["id"]):
                values = body.get("values")
                if values:
                    view = {**view, "state": {"values": values}}
        extra = {k: v for k, v in action.items() if k not in ("action_id", "block_id", "value")}
        reply = workspace.driver.block_action(
            user,
            action.get("action_id", ""),
            action.get("value"),
            action.get("block_id") or "b",
            channel_id=None if view is not None else body.get("channel"),
            message_ts=body.get("message_ts"),
            view=view,
            extra_action=extra,
        )
        return {"status": reply.status}

    def submit(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        view = self.fake.modal_of(user)
        if view is None or view["id"] != body.get("view_id"):
            return {"errors": {}, "gone": True}
        reply = workspace.driver.view_submission(user, view, body.get("values") or {})
        answer = reply.json or {}
        action = answer.get("response_action")
        if action == "errors":
            return {"errors": answer.get("errors") or {}}
        if action == "update":
            self.fake.replace_modal(user, answer["view"])
        else:
            self.fake.close_modal(user, everything=action == "clear")
        return {}

    def close(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        self.fake.close_modal(user)
        return {}

    def choose_file(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """A file chosen in a form's file input: the fake Slack keeps it as the person's, as
        Slack does, and answers what the form's submission then carries."""
        content = str(body.get("content") or "").encode()
        if len(content) > CHOSEN_FILE_MAX:
            return {"error": "That file is too big for the playground."}
        return {"file": self.fake.file_from(user, str(body.get("filename") or "file"), content)}

    def home(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        event = {"type": "app_home_opened", "user": user, "tab": "home"}
        return {"status": workspace.driver.event(event).status}

    def job(self, workspace: Workspace, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a job for the workspace's partnership as of a chosen time, with the token its
        installation holds, as the clock would: the digest and nudges show without waiting."""
        name, now = str(body.get("name", "")), str(body.get("now", ""))
        when = datetime.fromisoformat(now) if now else None
        with in_partnership(workspace.partnership):
            context = JobContext(
                self.engine, self.settings.zone, job_client(self.settings, self.engine),
                smtp_url=self.settings.smtp_url, mailing=Mailing.of(self.settings),
            )  # fmt: skip
            try:
                return {"summary": run_job(name, context, when)}
            except Exception as error:  # shown to the person trying it, never a dead page
                log.exception("job %s failed", name)
                return {"summary": f"{name} failed: {error}"}


def _text(value: Any) -> str:
    return value.get("text", "") if isinstance(value, dict) else str(value or "")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The page polls every second; the terminal stays readable."""


def start_bot(settings: Settings, engine: Engine, sink: MailSink) -> tuple[str, Settings]:
    """The real app on a private port, exactly as `partnerbot web` serves it in OAuth mode
    (each workspace installed through Add to Slack is a partnership of its own), emailing the
    playground's mail sink with links to its own `/email/` pages; its URL and settings."""
    server = make_server(HOST, 0, _not_yet, _ThreadingWSGIServer, _Quiet)
    settings = replace(
        settings,
        smtp_url=sink.start(),
        email_from="partnerbot@playground.invalid",
        email_link_secret=secrets.token_urlsafe(32),
        public_url=f"http://{HOST}:{server.server_port}",
    )
    server.set_app(wsgi_app(create_app(settings, engine, sweep=True), engine))
    serve_in_background(server)
    return settings.public_url or "", settings


def _not_yet(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def build(
    settings: Settings,
    database_url: str,
    partnership_file: Path = SAMPLE_PARTNERSHIP,
    workspaces: int = 1,
) -> Playground:
    """The bot and the fake Slack running, and `workspaces` workspaces installed, each seeded
    from `partnership_file` (see bot.playground.workspaces)."""
    if not 1 <= workspaces <= WORKSPACES_MAX:
        raise ValueError(f"the playground plays 1 to {WORKSPACES_MAX} workspaces, not {workspaces}")
    spec = read_partnership_file(partnership_file, jobs=JOBS)
    fake = FakeSlack().start()
    engine = make_engine(database_url)
    upgrade(engine)
    settings = replace(
        settings,
        slack_bot_token=None,
        slack_app_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret=secrets.token_urlsafe(32),
        slack_signing_secret=secrets.token_hex(16),
        slack_api_url=fake.base_url,
        database_url=database_url,
    )
    sink = MailSink()
    url, settings = start_bot(settings, engine, sink)
    secret = settings.slack_signing_secret or ""
    played = tuple(
        open_workspace(number, for_workspace(spec, number), engine, fake, url, secret)
        for number in range(1, workspaces + 1)
    )
    return Playground(fake, engine, settings, played, sink)


class _Page(BaseHTTPRequestHandler):
    """The page and its API, for the page alone.

    Binding to 127.0.0.1 keeps other machines out, not other web pages: any site open in the
    developer's browser can send a `text/plain` POST here (no CORS preflight) and act as any
    member, and a name rebound to 127.0.0.1 (DNS rebinding) can read `/api/state`. So only a
    request addressed to this server by its own name and port is answered, a POST must come
    from the page's own origin (when the browser says where from) and carry JSON, which a
    foreign page can only send after a preflight this server never answers.
    """

    server: _PageServer

    def _own_names(self) -> set[str]:
        """How the page addresses this server: `Host` values, also `http://…` origins."""
        port = self.server.server_port
        names = {f"127.0.0.1:{port}", f"localhost:{port}"}
        return names | ({"127.0.0.1", "localhost"} if port == 80 else set())

    def _refused(self, posting: bool) -> bool:
        """Answer, and say True, when the request is not the page's own."""
        own = self._own_names()
        if (self.headers.get("Host") or "").strip().lower() not in own:
            self._send(421, b"this playground answers only at its own address", "text/plain")
            return True
        if not posting:
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in {f"http://{name}" for name in own}:
            self._send(403, b"only the playground's own page may post here", "text/plain")
            return True
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            self._send(415, b"post JSON (Content-Type: application/json)", "text/plain")
            return True
        return False

    def do_GET(self) -> None:
        if self._refused(posting=False):
            return
        url = urlsplit(self.path)
        if url.path == "/api/state":
            query = parse_qs(url.query)
            workspace = self._workspace(query.get("workspace", [""])[0])
            if workspace is not None:
                playground = self.server.playground
                user = query.get("user", [""])[0] or playground.default_user(workspace)
                self._json(playground.state(workspace, user))
        elif url.path.startswith(FILES_PATH):
            self._send_file(url.path.removeprefix(FILES_PATH))
        elif (page_file := static_file(url.path)) is not None:
            self._send(200, page_file.read_bytes(), CONTENT_TYPES[page_file.suffix])
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        if self._refused(posting=True):
            return
        try:
            body = json.loads(
                self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"
            )
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send(400, b"bad request: the body should be a JSON object", "text/plain")
            return
        name = urlsplit(self.path).path.removeprefix("/api/")
        if name not in ROUTES:
            self._send(404, b"not found", "text/plain")
            return
        workspace = self._workspace(body.get("workspace"))
        if workspace is not None:
            playground = self.server.playground
            user = body.get("user") or playground.default_user(workspace)
            self._json(getattr(playground, name)(workspace, user, body))

    def _workspace(self, number: object) -> Workspace | None:
        """The workspace the request is for; answered, and None, when there is no such one."""
        found = self.server.playground.workspace(number)
        if found is None:
            count = len(self.server.playground.workspaces)
            plays = "one workspace" if count == 1 else f"workspaces 1 to {count}"
            error = f"There is no workspace {number} here: this playground plays {plays}."
            self._send(404, json.dumps({"error": error}).encode(), "application/json")
        return found

    def _send_file(self, file_id: str) -> None:
        """An uploaded file: an image shown in the page, anything else downloaded."""
        found = self.server.playground.file(file_id)
        if found is None:
            self._send(404, b"no such file", "text/plain")
            return
        kind = FILE_TYPES.get(Path(found.filename).suffix.lower(), "application/octet-stream")
        how = "inline" if kind.startswith("image/") else "attachment"
        disposition = f"{how}; filename*=UTF-8''{quote(found.filename)}"
        self._send(200, found.content, kind, {"Content-Disposition": disposition})

    def _json(self, value: Any) -> None:
        self._send(200, json.dumps(value).encode(), "application/json")

    def _send(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Frame-Options", "SAMEORIGIN")  # framed by its own pages only
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the page polls."""


def _with_file_urls(message: dict[str, Any]) -> dict[str, Any]:
    """A message whose files carry the address the page shows or downloads them from."""
    if not message.get("files"):
        return message
    files = [file | {"url": f"{FILES_PATH}{quote(file['id'])}"} for file in message["files"]]
    return message | {"files": files}


def static_file(path: str) -> Path | None:
    """The page's file a URL path names ("/" is index.html, "/side-by-side" is
    side-by-side.html), or None: only a file directly in static/ of a type the page is made of,
    so nothing else on disk is ever served."""
    name = path.removeprefix("/") or "index"
    name += "" if "." in name else ".html"
    found = STATIC / name
    if "/" in name or "\\" in name or found.suffix not in CONTENT_TYPES or not found.is_file():
        return None
    return found


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, playground: Playground, port: int) -> None:
        super().__init__((HOST, port), _Page)
        self.playground = playground


def serve(playground: Playground, port: int) -> _PageServer:
    """The page's server, started in the background; its address is on the playground."""
    server = _PageServer(playground, port)
    playground.bound = f"{HOST}:{server.server_port}"
    serve_in_background(server)
    return server


def run_playground(settings: Settings, port: int, workspaces: int = 1) -> None:
    """`partnerbot playground`: until Ctrl-C."""
    playground = build(settings, f"sqlite:///{DEFAULT_FILE}", workspaces=workspaces)
    server = serve(playground, port)  # never the real database, above
    address = f"http://{playground.bound}/"
    print(
        f"Partnerbot playground on {address} (this machine only: it binds {HOST}). The real "
        "bot talks to a fake Slack; nothing leaves this computer. Ctrl-C stops."
    )
    if workspaces > 1:
        print(
            f"{workspaces} workspaces, each its own partnership: {address}?workspace=N "
            f"(N = 1 to {workspaces}), all side by side on {address}side-by-side"
        )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()
        playground.fake.stop()
