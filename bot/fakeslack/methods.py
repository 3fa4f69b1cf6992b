"""The Web API methods the bot calls, answered as Slack answers them, and the two URLs Slack
hands out: response URLs (replies to a command or a click) and upload URLs (a file's bytes)."""

from __future__ import annotations

import base64
import copy
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from bot.fakeslack.checks import (
    CLIENT_METHODS,
    REQUIRED,
    SlackRefusal,
    check_call,
    check_message,
    check_view,
)
from bot.fakeslack.state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CODE_LIFETIME,
    TEAM_ID,
    ResponseUrl,
    SharedFile,
    SlackState,
    Upload,
    UploadedFile,
    dm_channel,
)

TRIGGER_LIFETIME = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60.0
UPLOAD_PATH = "/upload/v1/"
FILES_PATH = "/files-pri/"  # where Slack serves files' bytes (url_private, url_private_download)
# What Slack answers a request for a file's bytes without a token that may read it: its
# sign-in page, with 200, not an error (an app that forgets the token gets HTML).
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"
OF_TOKEN = frozenset({"auth.test", "apps.uninstall"})  # methods whose answer is about the token
# Methods that reach one person, by the argument naming them, and what Slack answers when the
# token's workspace is not theirs: a bot reaches the people of the workspaces it is installed in.
TO_A_PERSON = {
    "chat.postMessage": ("channel", "channel_not_found"),
    "conversations.open": ("users", "user_not_found"),
    "views.publish": ("user_id", "not_found"),
}


def token_of(args: dict[str, Any], authorization: str) -> str:
    """The token a call carries: in the Authorization header (slack_sdk's way) or the body."""
    if authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip()
    return str(args.get("token") or "")


class WebApi:
    """Each method reads and changes the state as Slack would, or raises a SlackRefusal."""

    def __init__(self, state: SlackState, origin: Callable[[], str]) -> None:
        self.state = state
        self.origin = origin  # the fake's http://127.0.0.1:port, for the URLs it hands out

    def call(self, method: str, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """`args` without the token (recorded arguments are the method's own): `token_of`
        takes it first."""
        if method not in REQUIRED:
            raise SlackRefusal("unknown_method")
        token = token_of(args, authorization)
        args.pop("token", None)
        check_call(method, args, token)
        with self.state.lock:
            if token in self.state.revoked:
                raise SlackRefusal("token_revoked")
        if method in CLIENT_METHODS:
            self._check_client(args, authorization)
        self._check_their_workspace(method, args, token)
        handler = getattr(self, "_" + method.replace(".", "_"))
        return {"ok": True, **(handler(args, token) if method in OF_TOKEN else handler(args))}

    def post_to_response_url(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Each response URL takes 5 posts within 30 minutes, as Slack's do."""
        state = self.state
        with state.lock:
            url = state.response_urls.get(token)
            if (
                url is None
                or url.uses >= RESPONSE_URL_USES
                or time.monotonic() - url.issued > RESPONSE_URL_LIFETIME
            ):
                raise SlackRefusal("used_url", status=404)
            url.uses += 1
        if not args.get("delete_original"):
            check_message(args)
        if url.user and url.channel:
            self._keep_response(url, args)
        return {"ok": True}

    def post_to_upload_url(self, token: str, content: bytes) -> dict[str, Any]:
        """Keep the bytes for the file, refusing a count other than the `length` announced
        (Slack refuses that mismatch; here the upload URL does, so the SDK fails at once)."""
        state = self.state
        with state.lock:
            upload = state.uploads.get(state.upload_urls.get(token, ""))
            if upload is None:
                raise SlackRefusal("not_found", status=404)
            if len(content) != upload.length:
                raise SlackRefusal(
                    "file_upload_size_mismatch",
                    f"got {len(content)} bytes, length was {upload.length}",
                )
            upload.content = content
        return {"ok": True, "file_id": upload.file_id}

    def download(self, path: str, authorization: str) -> tuple[bytes, str]:
        """A file's bytes and content type for a bot token that may read it (a live one), else
        Slack's sign-in page. `path` is /files-pri/TEAM-FILE/[download/]name."""
        file_id = path.removeprefix(FILES_PATH).split("/", 1)[0].rpartition("-")[2]
        token = token_of({}, authorization)
        with self.state.lock:
            file = self.state.shared.get(file_id)
            live = token.startswith("xoxb-") and token not in self.state.revoked
        if file is None or not live:
            return SIGN_IN_PAGE, "text/html"
        return file.content, "application/octet-stream"

    def shared_file(self, file: SharedFile) -> dict[str, Any]:
        """A person's file as files.info shows it (and a file input's submission carries it)."""
        base = f"{self.origin()}{FILES_PATH}{TEAM_ID}-{file.file_id}"
        name = urllib.parse.quote(file.filename)
        return {
            "id": file.file_id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.filename,
            "title": file.filename,
            "mimetype": "text/plain",
            "filetype": "text",
            "user": file.user,
            "size": len(file.content),
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": f"{base}/{name}",
            "url_private_download": f"{base}/download/{name}",
        }

    def _files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            file = self.state.shared.get(str(args["file"]))
        if file is None:
            raise SlackRefusal("file_not_found")
        return {"file": self.shared_file(file)}

    def _keep_response(self, url: ResponseUrl, args: dict[str, Any]) -> None:
        """What a person would see: an ephemeral reply, or the original replaced or deleted."""
        assert url.user and url.channel
        state = self.state
        with state.lock:
            mine = state.ephemeral.setdefault((url.user, url.channel), [])
            original = next((m for m in mine if m["ts"] == url.message_ts), None)
            if args.get("delete_original") and original is not None:
                mine.remove(original)
                return
            if args.get("replace_original") and original is not None:
                original.update(_content(args, {}))
                return
            if args.get("response_type") == "in_channel":
                message: dict[str, Any] = {"type": "message", "user": BOT_USER_ID}
                message |= {"ts": state.next_ts(), **_content(args, {"text": "", "blocks": []})}
                state.messages.setdefault(url.channel, []).append(message)
                return
            message = {"type": "message", "ephemeral": True, "ts": state.next_ts()}
            mine.append(message | _content(args, {"text": "", "blocks": []}))

    def _auth_test(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        """The token's workspace: the one it was installed in, else the fake's own."""
        with self.state.lock:
            team_id = self.state.bot_tokens.get(token, TEAM_ID)
        return {
            "url": "https://fake-partnership.slack.com/",
            "team": "Fake Partnership",
            "user": "partnerbot",
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _check_client(self, args: dict[str, Any], authorization: str) -> None:
        """The app's client id and secret, as HTTP Basic (slack_sdk's way) or in the body."""
        client_id, client_secret = args.pop("client_id", ""), args.pop("client_secret", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != CLIENT_ID:
            raise SlackRefusal("invalid_client_id")
        if client_secret != CLIENT_SECRET:
            raise SlackRefusal("bad_client_secret")

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        """A code from "Allow" exchanged for the bot token, once, within 10 minutes, with the
        redirect_uri of the authorize URL (if it named one). A workspace keeps its token while
        the app stays installed; after an uninstall it gets a new one."""
        with self.state.lock:
            grant = self.state.oauth_codes.get(str(args["code"]))
            if grant is None or grant.used or time.monotonic() - grant.issued > CODE_LIFETIME:
                raise SlackRefusal("invalid_code")
            if args.get("redirect_uri") != grant.redirect_uri:
                raise SlackRefusal("bad_redirect_uri")
            grant.used = True
            # An org-wide install's token is the organisation's: it reaches its people.
            holder = grant.enterprise_id or grant.team_id
            tokens = self.state.bot_tokens
            live = [t for t, team in tokens.items() if team == holder]
            live = [t for t in live if t not in self.state.revoked]
            token = live[0] if live else f"xoxb-{holder}-{self.state.next_number():06d}"
            tokens[token] = holder
        org_wide = grant.enterprise_id is not None
        organisation = {"id": grant.enterprise_id, "name": grant.team_name}
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": None if org_wide else {"id": grant.team_id, "name": grant.team_name},
            "enterprise": organisation if org_wide else None,
            "authed_user": {"id": grant.user_id},
            "is_enterprise_install": org_wide,
        }

    def _apps_uninstall(self, args: dict[str, Any], token: str) -> dict[str, Any]:
        """The app removed from the token's workspace: every token it had there is revoked."""
        self._check_client(args, "")
        with self.state.lock:
            team_id = self.state.bot_tokens.get(token)
            if team_id is None:
                raise SlackRefusal("invalid_auth")
            tokens = self.state.bot_tokens.items()
            self.state.revoked |= {t for t, team in tokens if team == team_id}
        return {}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            user = self.state.users.get(args["user"])
        if user is None:
            raise SlackRefusal("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel") or dm_channel(str(args["users"]).split(",")[0])
        return {"channel": {"id": channel}}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_dm_reachable(args["channel"])
        channel = dm_channel(args["channel"])
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": self.state.next_ts(),
        }
        message.update(_content(args, {"text": "", "blocks": []}))
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        with self.state.lock:
            self.state.messages.setdefault(channel, []).append(message)
            return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _check_their_workspace(self, method: str, args: dict[str, Any], token: str) -> None:
        if method not in TO_A_PERSON:
            return
        name, refusal = TO_A_PERSON[method]
        person = str(args.get(name) or "")
        with self.state.lock:
            user = self.state.users.get(person) if person[:1] in {"U", "W"} else None
            workspace = self.state.bot_tokens.get(token, TEAM_ID)
        if user is not None and user["team_id"] != workspace:
            raise SlackRefusal(refusal)

    def _check_dm_reachable(self, channel: str) -> None:
        """A DM by user id reaches only a known, active person, as on Slack."""
        if channel[:1] in {"U", "W"}:
            user = self.state.users.get(channel)
            if user is None:
                raise SlackRefusal("channel_not_found")
            if user["deleted"]:
                raise SlackRefusal("account_inactive")

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self.state.next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace what the update carries; Slack keeps blocks and attachments it leaves out."""
        channel = dm_channel(args["channel"])
        with self.state.lock:
            message = self._find_message(channel, args["ts"])
            message.update(_content(args, {}))
            answer = {"channel": channel, "ts": args["ts"], "text": message["text"]}
            return answer | {"message": copy.deepcopy(message)}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = dm_channel(args["channel"])
        with self.state.lock:
            message = self._find_message(channel, args["ts"])
            self.state.messages[channel].remove(message)
        return {"channel": channel, "ts": args["ts"]}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        length = str(args["length"])
        if not length.isdecimal() or int(length) == 0:
            raise SlackRefusal(
                "invalid_arguments", "length must be a positive integer [json-pointer:/length]"
            )
        number = self.state.next_number()
        file_id, token = f"F{number:08d}", f"UP{number:06d}"
        with self.state.lock:
            self.state.uploads[file_id] = Upload(file_id, token, str(args["filename"]), int(length))
            self.state.upload_urls[token] = file_id
        return {"upload_url": f"{self.origin()}{UPLOAD_PATH}{token}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        """Complete every file or none; a bot shares into a DM by its D… id, not a user id."""
        entries = args["files"]
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and entry.get("id") for entry in entries
        ):
            raise SlackRefusal(
                "invalid_arguments", "must be an array of objects with an id [json-pointer:/files]"
            )
        channel = args.get("channel_id") or None
        if channel is not None and channel[:1] in {"U", "W"}:
            raise SlackRefusal("invalid_channel")
        comment = str(args.get("initial_comment") or "")
        with self.state.lock:
            completed: dict[str, UploadedFile] = {}
            for entry in entries:
                upload = self.state.uploads.get(str(entry["id"]))
                # Unknown, never posted to its upload URL, or completed already (here or before).
                if upload is None or upload.content is None or upload.file_id in completed:
                    raise SlackRefusal("file_not_found")
                title = entry.get("title") or upload.filename
                completed[upload.file_id] = UploadedFile(
                    upload.file_id, upload.filename, title, channel, upload.content, comment
                )
            for file_id in completed:
                del self.state.upload_urls[self.state.uploads.pop(file_id).token]
            self.state.uploaded.extend(completed.values())
            files = [_file_object(file) for file in completed.values()]
            if channel is not None:
                message: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID}
                message |= {"ts": self.state.next_ts(), "text": comment, "files": files}
                if args.get("thread_ts"):
                    message["thread_ts"] = args["thread_ts"]
                self.state.messages.setdefault(channel, []).append(message)
            return {"files": copy.deepcopy(files)}

    def _views_open(self, args: dict[str, Any], push: bool = False) -> dict[str, Any]:
        view = check_view(args["view"], {"modal"})
        self._exchange_trigger(args["trigger_id"])
        stored = self.state.store_view(view)
        with self.state.lock:
            user = self.state.trigger_users.get(args["trigger_id"])
            if user:
                stack = self.state.modals.setdefault(user, [])
                stack[:] = [*stack, stored["id"]] if push else [stored["id"]]
        return {"view": stored}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(args, push=True)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = check_view(args["view"], {"modal", "home"})
        with self.state.lock:
            if args.get("view_id"):
                current = self.state.views.get(args["view_id"])
            else:
                views = self.state.views.values()
                current = next((v for v in views if v["external_id"] == args["external_id"]), None)
        if current is None:
            raise SlackRefusal("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackRefusal("hash_conflict")
        return {"view": self.state.store_view(view, current["id"], current["external_id"])}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """One Home view per user, updated in place as Slack does."""
        view = check_view(args["view"], {"home"})
        with self.state.lock:
            current = self.state.homes.get(args["user_id"])
        stored = self.state.store_view(view, current)
        with self.state.lock:
            self.state.homes[args["user_id"]] = stored["id"]
        return {"view": stored}

    def _find_message(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self.state.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackRefusal("message_not_found")

    def _exchange_trigger(self, trigger_id: str) -> None:
        with self.state.lock:
            if trigger_id not in self.state.triggers:
                raise SlackRefusal("invalid_trigger_id")
            issued = self.state.triggers[trigger_id]
            self.state.triggers[trigger_id] = None
        if issued is None:
            raise SlackRefusal("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_LIFETIME:
            raise SlackRefusal("expired_trigger_id")


def _file_object(file: UploadedFile) -> dict[str, Any]:
    """A file as Slack shows it in answers and messages, cut to what tests look at."""
    return {
        "id": file.file_id,
        "name": file.filename,
        "title": file.title,
        "size": len(file.content),
    }


def _content(args: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The message content an update or a post carries, over `defaults`."""
    return defaults | {k: args[k] for k in ("text", "blocks", "attachments") if k in args}
