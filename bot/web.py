"""The HTTP side: a WSGI app served by gunicorn: Bolt's POST /slack/events (and in OAuth mode
its GET /slack/install and /slack/oauth_redirect, bot.slack.oauth), /healthz and /email/."""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, load_settings
from bot.db import make_engine, schema_version
from bot.email_pages import PREFIX as EMAIL_PREFIX
from bot.email_pages import email_pages
from bot.slack.app import create_app, services_of
from bot.slack.work_slots import WORK_SLOTS

log = logging.getLogger("partnerbot.web")
GIL_SWITCH_INTERVAL = 0.001  # seconds
REQUEST_THREADS = 8  # gunicorn's threads a worker
MAX_BODY = 1024 * 1024  # Slack's largest payloads (a big modal's state) are far smaller

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def health_app(engine: Engine) -> WSGIApp:
    """200 with the backend and schema version when the database answers, 503 when not."""

    def health(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        report: dict[str, Any] = {"database": engine.dialect.name}
        try:
            report["schema"] = schema_version(engine)
            report["status"] = "ok"
            status = "200 OK"
        except SQLAlchemyError as error:
            log.warning("health check: database unavailable: %s", error.__class__.__name__)
            report["status"] = "database unavailable"
            status = "503 Service Unavailable"
        body = json.dumps(report).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return health


def too_large(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    body = b"request body too large"
    start_response(
        "413 Payload Too Large",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
    )
    return [body]


def wsgi_app(bolt_app: App, engine: Engine) -> WSGIApp:
    slack = SlackRequestHandler(bolt_app)
    health = health_app(engine)
    email = email_pages(services_of(bolt_app))

    def route(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            return health(environ, start_response)
        if str(environ.get("PATH_INFO", "")).startswith(EMAIL_PREFIX):
            return email(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:  # refused before reading: Slack never sends this much
            return too_large(environ, start_response)
        return slack(environ, start_response)

    return route


def create_wsgi_app(settings: Settings | None = None) -> WSGIApp:
    """Gunicorn's factory (`bot.web:create_wsgi_app()`): one app and engine per worker."""
    settings = settings or load_settings()
    # A connection for every request thread (each stores its request before acknowledging it),
    # the working listener threads and the sweeper: none waits for another's connection. The
    # listener threads work a few at a time (bot.slack.work_slots) and hold no connection
    # while they wait for Slack, which is most of their time.
    engine = make_engine(settings.database_url, pool_size=REQUEST_THREADS + 2 * WORK_SLOTS + 1)
    return wsgi_app(create_app(settings, engine, sweep=True), engine)


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        # WEB_CONCURRENCY (gunicorn's own variable) sets the number of worker processes.
        self.cfg.set("bind", f"0.0.0.0:{self.settings.port}")
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", REQUEST_THREADS)
        self.cfg.set("timeout", 30)

    def load(self) -> WSGIApp:  # type: ignore[override]  # its stubs: environ a MutableMapping, not PEP 3333's dict
        """Each worker's app. A request thread waiting for the GIL behind listener threads
        gets it within 1 ms, not Python's default 5 (it needs it a dozen times to read, check
        and acknowledge a request); and the start-up objects, never garbage, are left out of
        every later collection, which shortens the pauses collections make."""
        sys.setswitchinterval(GIL_SWITCH_INTERVAL)
        app = create_wsgi_app(self.settings)
        gc.freeze()
        return app


def serve(settings: Settings) -> None:
    _Gunicorn(settings).run()
