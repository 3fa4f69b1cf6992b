"""Read people's names and time zones from Slack, for the services' profile cache."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.directory import Profile, ProfileLoader

log = logging.getLogger(__name__)


def profile_loader(client: WebClient) -> ProfileLoader:
    """A loader calling `users.info`; a failure leaves the cached profile as it was."""

    def load(user_id: str) -> Profile | None:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return None
        profile = user.get("profile") or {}
        return Profile(
            name=profile.get("real_name") or user.get("real_name") or user.get("name") or user_id,
            display_name=profile.get("display_name") or "",
            tz=user.get("tz"),
            email=profile.get("email") or None,
            team=user.get("team_id") or None,
        )

    return load
