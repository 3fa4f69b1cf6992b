"""Settings read from the environment (and `.env`), with the design's names and defaults.

Reading never raises for a missing Slack token: each run mode asks for what it needs with
`Settings.require`, so `db upgrade` and `config load` work without Slack credentials and a
missing token is reported as one clear line rather than a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///partnerbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TZ = "Europe/London"
DEFAULT_PORT = 3000


class SettingsError(Exception):
    """A setting is missing or malformed; `str()` is the one line shown to the person."""


class Need(Enum):
    """What a run mode needs from Slack."""

    BOT_TOKEN = "SLACK_BOT_TOKEN"
    SIGNING_SECRET = "SLACK_SIGNING_SECRET"
    APP_TOKEN = "SLACK_APP_TOKEN"


WHERE_TO_GET = {
    Need.BOT_TOKEN: (
        "the Bot User OAuth Token (starts xoxb-) from your Slack app's "
        "'OAuth & Permissions' page at https://api.slack.com/apps (or, to install through "
        "'Add to Slack', SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET instead)"
    ),
    Need.SIGNING_SECRET: (
        "the Signing Secret from your Slack app's 'Basic Information' page "
        "at https://api.slack.com/apps"
    ),
    Need.APP_TOKEN: (
        "an App-Level Token with the connections:write scope (starts xapp-) from your "
        "Slack app's 'Basic Information' page, after enabling Socket Mode"
    ),
}

TOKEN_PREFIXES = {Need.BOT_TOKEN: "xoxb-", Need.APP_TOKEN: "xapp-"}


@dataclass(frozen=True)
class Settings:
    """The process's configuration; immutable so it can be shared across threads."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    timezone: str = DEFAULT_TZ
    partnership_config: str | None = None
    smtp_url: str | None = None  # smtp://user:password@host:587 (STARTTLS) or smtps://…:465
    email_from: str | None = None
    email_link_secret: str | None = None
    public_url: str | None = None  # where people's browsers reach the web process (email links)
    # OAuth ("Add to Slack"), instead of SLACK_BOT_TOKEN: all three or none (`load_settings`)
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None

    @property
    def email_on(self) -> bool:
        """Email is sent only with all three of its settings; `email_off_reason` says which lack."""
        return not self.email_off_reason

    @property
    def email_off_reason(self) -> str:
        missing = [
            name
            for name, value in (
                ("SMTP_URL", self.smtp_url),
                ("EMAIL_FROM", self.email_from),
                ("EMAIL_LINK_SECRET", self.email_link_secret),
            )
            if not value
        ]
        return f"email is off: {', '.join(missing)} not set" if missing else ""

    @property
    def link_base(self) -> str:
        """The start of every link in an email: PUBLIC_URL, or this machine's own port."""
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """Installed through Slack's OAuth flow: the bot token is the installation's, kept in
        the database, not a setting. `load_settings` refuses a bot token beside a client id."""
        return bool(self.slack_client_id and self.slack_client_secret) and not self.slack_bot_token

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def value_of(self, need: Need) -> str | None:
        return {
            Need.BOT_TOKEN: self.slack_bot_token,
            Need.SIGNING_SECRET: self.slack_signing_secret,
            Need.APP_TOKEN: self.slack_app_token,
        }[need]

    def require(self, *needs: Need) -> None:
        """Raise one SettingsError that names every missing or malformed variable and its source."""
        problems = []
        for need in needs:
            value = self.value_of(need)
            prefix = TOKEN_PREFIXES.get(need)
            if not value:
                problems.append(f"{need.value} is not set: put {WHERE_TO_GET[need]} in .env")
            elif prefix and not value.startswith(prefix):
                problems.append(
                    f"{need.value} should start with {prefix}: use {WHERE_TO_GET[need]}"
                )
        if problems:
            raise SettingsError("\n".join(problems))


def _clean(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: the process environment), validating formats."""
    env = os.environ if env is None else env
    port_text = _clean(env, "PORT") or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a number between 1 and 65535, not {port_text!r}")

    timezone = _clean(env, "PARTNERBOT_TZ") or DEFAULT_TZ
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"PARTNERBOT_TZ {timezone!r} is not a time zone name; use one like Europe/London"
        ) from None

    database_url = _clean(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy needs the psycopg 3 driver.
    for old in ("postgres://", "postgresql://"):
        if database_url.startswith(old):
            database_url = "postgresql+psycopg://" + database_url[len(old) :]
    try:
        make_url(database_url)
    except ArgumentError:
        raise SettingsError(
            "DATABASE_URL is not a database URL; use e.g. "
            "postgresql://user:password@host:5432/partnerbot or sqlite:///partnerbot.db"
        ) from None

    api_url = _clean(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}")

    smtp_url = _clean(env, "SMTP_URL")
    if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
        raise SettingsError(
            "SMTP_URL must start with smtp:// (STARTTLS, port 587) or smtps:// (port 465), "
            "e.g. smtp://user:password@mail.example.org:587"
        )
    email_from = _clean(env, "EMAIL_FROM")
    if email_from and "@" not in email_from:
        raise SettingsError(f"EMAIL_FROM must be an email address, not {email_from!r}")
    public_url = _clean(env, "PUBLIC_URL")
    if public_url and not public_url.startswith(("http://", "https://")):
        raise SettingsError(f"PUBLIC_URL must be an http(s) URL, not {public_url!r}")

    oauth = _oauth_settings(env)
    return Settings(
        slack_bot_token=_clean(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_clean(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_clean(env, "SLACK_APP_TOKEN"),
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=database_url,
        port=int(port_text),
        timezone=timezone,
        partnership_config=_clean(env, "PARTNERSHIP_CONFIG"),
        smtp_url=smtp_url,
        email_from=email_from,
        email_link_secret=_clean(env, "EMAIL_LINK_SECRET"),
        public_url=public_url,
        **oauth,
    )


OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
STATE_SECRET_MIN = 16  # characters: it signs the OAuth states (bot.slack.oauth)


def _oauth_settings(env: Mapping[str, str]) -> dict[str, str | None]:
    """The OAuth trio: all three or none, never beside a bot token (one workspace's token and
    an app installed through OAuth are two ways of running; which one is meant must be plain),
    and not in Socket Mode (the install pages are served by the web process)."""
    values = {name: _clean(env, name) for name in OAUTH_VARIABLES}
    given = [name for name, value in values.items() if value]
    if not given:
        return {}
    if _clean(env, "SLACK_BOT_TOKEN"):
        raise SettingsError(
            f"SLACK_BOT_TOKEN and {given[0]} are both set: set SLACK_BOT_TOKEN to serve one "
            "workspace with its token, or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
            "SLACK_STATE_SECRET to install through Slack's 'Add to Slack', not both"
        )
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise SettingsError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: installing "
            "through OAuth needs all three (the client id and secret from your Slack app's "
            "'Basic Information' page, and a long random state secret of your own)"
        )
    if _clean(env, "SLACK_APP_TOKEN"):
        raise SettingsError(
            "SLACK_APP_TOKEN is set with SLACK_CLIENT_ID: installing through OAuth needs the "
            "web process (HTTP mode), not Socket Mode; unset SLACK_APP_TOKEN"
        )
    secret = values["SLACK_STATE_SECRET"] or ""
    if len(secret) < STATE_SECRET_MIN:
        raise SettingsError(
            f"SLACK_STATE_SECRET must be at least {STATE_SECRET_MIN} characters; make one with "
            '`python3 -c "import secrets; print(secrets.token_urlsafe(32))"`'
        )
    return {
        "slack_client_id": values["SLACK_CLIENT_ID"],
        "slack_client_secret": values["SLACK_CLIENT_SECRET"],
        "slack_state_secret": secret,
    }
