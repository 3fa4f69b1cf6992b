"""manifest.yml: valid against Slack's published schema, and in step with the app."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.slack import listeners
from bot.slack.oauth import SCOPES
from tests.conftest import Bot
from tests.helpers import shown

ROOT = Path(__file__).resolve().parent.parent
# Slack's published JSON schema for app manifests (v1), kept beside the tests so they run anywhere.
SCHEMA = Path(__file__).resolve().parent / "data" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))


def test_manifest_validates_against_slacks_schema() -> None:
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_manifest_asks_for_the_minimal_scopes_and_declares_the_home_tab() -> None:
    data = manifest()
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "commands",
            "chat:write",
            "im:write",
            "users:read",
            "users:read.email",
            "files:write",
            "files:read",
        ]
    )  # files:write: only for files put in a member's DM (a visit's calendar entry, a report,
    # their own data, the partnership file); files:read: only to read the partnership file a
    # coordinator chooses in `/partners config load`; users:read.email: only to offer the
    # digest by email to the profile's address (the README's scopes table says why each)
    assert sorted(SCOPES) == sorted(data["oauth_config"]["scopes"]["bot"])  # what Add to Slack asks
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True


def test_every_declared_command_is_answered_and_every_handled_event_declared(bot: Bot) -> None:
    data = manifest()
    for command in data["features"]["slash_commands"]:
        assert command["description"] and command["usage_hint"]
        assert shown(bot.ask("help", command=command["command"])), command["command"]
    assert set(data["settings"]["event_subscriptions"]["bot_events"]) == set(listeners.EVENTS)
