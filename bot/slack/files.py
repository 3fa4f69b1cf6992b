"""A file a person gave the bot in a form's file input, read as text: files.info, then its bytes
from `url_private_download` with the bot token (both need the `files:read` scope).

Every way it can fail is a NotLoaded refusal, shown next to the form's file field: the file is
not theirs, too big, not text, or Slack would not give it.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.partnership_file.from_slack import FILE_BYTES_MAX, NotLoaded
from bot.slack.client import TRANSPORT_ERRORS
from bot.slack.work_slots import waiting_for_slack

NOT_GIVEN = "Slack didn't give me the file just now. Please try again in a minute."
NO_SCOPE = (
    "Partnerbot isn't allowed to read files yet: whoever runs it must reinstall the app so it "
    "asks for the files:read scope (the README's scopes table says why)."
)


@dataclass(frozen=True)
class Fetched:
    file_id: str
    name: str
    text: str


def chosen_files(view: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    """The files chosen in a form's file input (the element `value` of block `block_id`)."""
    value = view["state"]["values"].get(block_id, {}).get("value") or {}
    return list(value.get("files") or [])


def fetch_text(client: WebClient, file_id: str, user_id: str) -> Fetched:
    """The text of the file `user_id` gave (UTF-8), read as the bot through `client`."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        scope = error.response.get("error") == "missing_scope"
        raise NotLoaded(NO_SCOPE if scope else NOT_GIVEN) from None
    name = str(info.get("name") or "the file")
    if info.get("user") != user_id:
        raise NotLoaded(f"{name} was shared by someone else; load a file of your own.")
    if int(info.get("size") or 0) > FILE_BYTES_MAX:
        raise NotLoaded(f"{name} is too big to be a partnership file; choose the .toml file.")
    data = _download(client, str(info.get("url_private_download") or info["url_private"]))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotLoaded(
            f"{name} isn't a text file; save the partnership file as plain text (UTF-8)."
        ) from None
    return Fetched(file_id, name, text)


def _download(client: WebClient, url: str) -> bytes:
    """The bytes, with the bot token, through the client's proxy as slack_sdk's calls go."""
    proxies = {"http": client.proxy, "https": client.proxy} if client.proxy else {}
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies), urllib.request.HTTPSHandler(context=client.ssl)
    )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with waiting_for_slack(), opener.open(request, timeout=client.timeout) as response:
            if response.headers.get_content_type() == "text/html":  # Slack's sign-in page
                raise NotLoaded(NOT_GIVEN)
            data: bytes = response.read(FILE_BYTES_MAX + 1)
    except TRANSPORT_ERRORS:
        raise NotLoaded(NOT_GIVEN) from None
    if len(data) > FILE_BYTES_MAX:
        raise NotLoaded("That file is too big to be a partnership file; choose the .toml file.")
    return data
