"""The fake Slack answers like Slack and refuses what Slack refuses, through the real SDK; the
driver signs and shapes requests as Slack does."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.fakeslack import CLIENT_ID, CLIENT_SECRET, REQUIRED, FakeSlack, UploadedFile
from bot.fakeslack import methods as fake_slack_methods
from bot.fakeslack.driver import SlackDriver
from bot.fakeslack.server import serve_in_background
from bot.fakeslack.signing import signature_headers

# Each Web API method's required arguments (token aside), as Slack's published OpenAPI
# description (web_api_openapi_v2.json) gives them: taken from it once and kept here, so the
# test runs in any clone.
PUBLISHED_REQUIRED = Path(__file__).resolve().parent / "data" / "web_api_required.json"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [SECTION]}
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# Methods Slack's published description predates: required arguments from the method pages.
UNPUBLISHED = {"files.getUploadURLExternal", "files.completeUploadExternal"}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", "Amina Yusuf", "amina", tz="Europe/London")
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def refusal(call: Callable[[], object]) -> str:
    """The error Slack's answer carries; slack_sdk raises it as a SlackApiError."""
    with pytest.raises(SlackApiError) as error:
        call()
    return error.value.response["error"]


def post_bytes(url: str, data: bytes) -> tuple[int, str]:
    """POST raw bytes as slack_sdk posts a file to its upload URL: the status and the body."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, method="POST")
        ) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(**changes: Any) -> dict[str, Any]:
    return {**MODAL, **changes}


def test_the_methods_answer_like_slack(fake: FakeSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "UPARTNERBOT"
    user = client.users_info(user="U1")["user"]
    assert (user["real_name"], user["tz"], user["profile"]["display_name"]) == (
        "Amina Yusuf",
        "Europe/London",
        "amina",
    )
    assert user["tz_offset"] in (0, 3600)
    assert client.conversations_open(users="U1")["channel"]["id"] == "D1"
    posted = client.chat_postMessage(channel="U1", text="hi", blocks=[SECTION])
    again = client.chat_postMessage(channel="D1", text="again")
    assert posted["channel"] == "D1" and float(again["ts"]) > float(posted["ts"])
    client.chat_update(channel="D1", ts=posted["ts"], text="edited")
    assert fake.messages("D1")[0]["text"] == "edited"
    assert fake.messages("D1")[0]["blocks"] == [SECTION]  # an update keeps blocks it leaves out
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    client.chat_delete(channel="D1", ts=posted["ts"])
    assert [m["text"] for m in fake.messages("D1")] == ["again"]
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})["view"]
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and home["id"] != opened["id"]
    updated = client.views_update(view_id=opened["id"], view=modal(callback_id="c"))["view"]
    assert (updated["id"], updated["callback_id"]) == (opened["id"], "c")
    pushed = client.views_push(trigger_id=fake.new_trigger_id(), view=modal(external_id="x"))
    by_external_id = client.views_update(external_id="x", view=MODAL)["view"]
    assert by_external_id["id"] == pushed["view"]["id"]
    assert [c.method for c in fake.calls][:3] == ["auth.test", "users.info", "conversations.open"]
    assert all(c.ok and c.status == 200 for c in fake.calls)


def test_every_form_slack_sdk_sends_is_understood(fake: FakeSlack, client: WebClient) -> None:
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps([SECTION])})
    client.api_call("chat.postMessage", data={"channel": "C1", "text": "multipart é"})
    query = urllib.parse.urlencode({"user": "U1", "token": "xoxb-in-the-query"})
    with urllib.request.urlopen(f"{fake.base_url}users.info?{query}") as answer:
        assert json.load(answer)["user"]["id"] == "U1"
    form, multipart, get = fake.calls
    assert form.args == {"channel": "C1", "blocks": [SECTION]}
    assert multipart.args == {"channel": "C1", "text": "multipart é"}
    assert get.args == {"user": "U1"}


REFUSED_MESSAGES: dict[str, tuple[dict[str, Any], str]] = {
    "no text or blocks": ({}, "no_text"),
    "text over 40,000 characters": ({"text": "x" * 40_001}, "msg_too_long"),
    "a section over 3,000 characters": ({"blocks": [section("x" * 3001)]}, "invalid_blocks"),
    "a block of unknown type": ({"blocks": [{"type": "sparkle"}]}, "invalid_blocks"),
    "a block with an unknown key": ({"blocks": [{**SECTION, "colour": "red"}]}, "invalid_blocks"),
    "an element of unknown type": (
        {"blocks": [{"type": "actions", "elements": [{"type": "buton"}]}]},
        "invalid_blocks",
    ),
    "51 blocks": ({"blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    "blocks over 12,000 characters": ({"blocks": [section("x" * 2600)] * 5}, "invalid_blocks"),
}


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("message", "error"), REFUSED_MESSAGES.values(), ids=REFUSED_MESSAGES.keys()
)
def test_messages_slack_refuses_are_refused(
    fake: FakeSlack, client: WebClient, message: dict[str, Any], error: str
) -> None:
    assert refusal(lambda: client.chat_postMessage(channel="C1", **message)) == error
    assert refusal(lambda: client.chat_postEphemeral(channel="C1", user="U1", **message)) == error
    recorded = fake.calls[-1]
    assert (recorded.status, recorded.ok, recorded.error) == (200, False, error)


REFUSED_VIEWS: dict[str, dict[str, Any]] = {
    "a title over 24 characters": modal(title={"type": "plain_text", "text": "x" * 25}),
    "a modal without a title": modal(title=None),
    "private_metadata over 3,000 characters": modal(private_metadata="x" * 3001),
    "a block of unknown type": modal(blocks=[{"type": "sparkle"}]),
    "no blocks": {"type": "modal", "title": MODAL["title"]},
    "a home tab in a modal's place": {"type": "home", "blocks": [SECTION]},
    "an unknown key": modal(colour="red"),
    "101 blocks": modal(blocks=[{"type": "divider"}] * 101),
}


@pytest.mark.parametrize("view", REFUSED_VIEWS.values(), ids=REFUSED_VIEWS.keys())
def test_views_slack_refuses_are_refused(
    fake: FakeSlack, client: WebClient, view: dict[str, Any]
) -> None:
    trigger = fake.new_trigger_id()
    assert refusal(lambda: client.views_open(trigger_id=trigger, view=view)) == "invalid_arguments"


def test_other_requests_slack_refuses_are_refused(fake: FakeSlack, client: WebClient) -> None:
    big_home = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    refused = {
        "unknown_method": lambda: client.api_call("chat.postMessagee"),
        "user_not_found": lambda: client.users_info(user="U404"),
        "invalid_arguments": lambda: client.api_call("users.info"),
        "users_list_not_supplied": lambda: client.api_call("conversations.open"),
        "message_not_found": lambda: client.chat_update(channel="C1", ts="1.2", text="x"),
        "not_found": lambda: client.views_update(view_id="V404", view=MODAL),
        "not_authed": lambda: WebClient(base_url=fake.base_url).auth_test(),
        "invalid_auth": lambda: WebClient("xoxp-1", base_url=fake.base_url).auth_test(),
    }
    assert {error: refusal(call) for error, call in refused.items()} == {e: e for e in refused}
    assert refusal(lambda: client.chat_delete(channel="C1", ts="1.2")) == "message_not_found"
    assert refusal(lambda: client.api_call("views.update", json={"view": MODAL})) == (
        "invalid_arguments"
    )
    assert refusal(lambda: client.views_publish(user_id="U1", view=big_home)) == (
        "invalid_arguments"
    )
    assert refusal(lambda: client.views_publish(user_id="U1", view=MODAL)) == "invalid_arguments"


def test_a_refusal_says_why(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as error:
        client.chat_postMessage(channel="C1", text="x", blocks=[SECTION, section("x" * 3001)])
    (message,) = error.value.response["response_metadata"]["messages"]
    assert "3000" in message and "/blocks/1" in message
    with pytest.raises(SlackApiError) as error:
        client.api_call("users.info")
    assert error.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: user"
    ]


def test_a_view_update_with_a_stale_hash_conflicts(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=MODAL)["view"]
    client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)


def test_trigger_ids_work_once_soon_and_only_when_issued(
    fake: FakeSlack, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = fake.new_trigger_id()
    client.views_open(trigger_id=trigger, view=MODAL)
    assert refusal(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
        "exchanged_trigger_id"
    )
    assert refusal(lambda: client.views_push(trigger_id="made-up", view=MODAL)) == (
        "invalid_trigger_id"
    )
    monkeypatch.setattr(fake_slack_methods, "TRIGGER_LIFETIME", 0.0)
    late = fake.new_trigger_id()
    assert refusal(lambda: client.views_open(trigger_id=late, view=MODAL)) == "expired_trigger_id"


def test_a_response_url_works_five_times(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    webhook = WebhookClient(url)
    for _ in range(5):
        assert webhook.send(text="hi", blocks=[SECTION], response_type="ephemeral").body == "ok"
    refused = webhook.send(text="sixth")
    assert (refused.status_code, refused.body) == (404, "used_url")
    unknown = url.rsplit("/", 1)[0] + "/R404"
    assert WebhookClient(unknown).send(text="x").status_code == 404
    recorded = fake.calls_to("response_url")
    assert recorded[0].args == {
        "text": "hi",
        "blocks": [SECTION],
        "response_type": "ephemeral",
        "url": url,
    }
    assert (recorded[5].status, recorded[5].error) == (404, "used_url")


def test_a_response_url_refuses_what_slack_refuses(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.new_response_url())
    too_many = webhook.send(text="x", blocks=[{"type": "divider"}] * 51)
    assert (too_many.status_code, too_many.body) == (400, "invalid_blocks")
    assert webhook.send(text="").body == "no_text"
    assert webhook.send(delete_original=True).body == "ok"  # deleting needs no text


def test_files_upload_v2_shares_a_file_in_a_dm(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    uploaded = client.files_upload_v2(
        channel=dm,
        content="name,email\n",
        filename="partners.csv",
        title="Partners",
        initial_comment="Here they are",
    )["file"]
    assert (uploaded["name"], uploaded["title"], uploaded["size"]) == (
        "partners.csv",
        "Partners",
        11,
    )
    shared = UploadedFile(
        uploaded["id"], "partners.csv", "Partners", "D1", b"name,email\n", "Here they are"
    )
    assert fake.uploaded_files() == fake.uploaded_files("U1") == [shared]
    assert fake.uploaded_files("C1") == []
    (message,) = fake.messages("D1")
    assert message["text"] == "Here they are"
    assert message["files"] == [
        {"id": uploaded["id"], "name": "partners.csv", "title": "Partners", "size": 11}
    ]
    assert [c.method for c in fake.calls] == [
        "conversations.open",
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    assert fake.calls_to("file_upload")[0].args["size"] == 11


def test_upload_urls_take_the_announced_bytes_once(fake: FakeSlack, client: WebClient) -> None:
    started = client.files_getUploadURLExternal(filename="notes.txt", length=3)
    url, file_id = started["upload_url"], started["file_id"]
    assert url.startswith(fake.base_url.removesuffix("api/") + "upload/v1/")
    assert refusal(lambda: client.files_completeUploadExternal(files=[{"id": file_id}])) == (
        "file_not_found"  # nothing posted yet
    )
    assert post_bytes(url, b"four") == (400, "file_upload_size_mismatch")
    assert post_bytes(url, b"\xff\x00\n") == (200, "OK - 3")  # bytes, not a form
    assert post_bytes(url.rsplit("/", 1)[0] + "/UP404", b"abc")[0] == 404
    private = client.files_completeUploadExternal(files=[{"id": file_id}])["files"]
    assert private == [{"id": file_id, "name": "notes.txt", "title": "notes.txt", "size": 3}]
    assert fake.uploaded_files() == [
        UploadedFile(file_id, "notes.txt", "notes.txt", None, b"\xff\x00\n", "")
    ]
    assert refusal(lambda: client.files_completeUploadExternal(files=[{"id": file_id}])) == (
        "file_not_found"  # completed already
    )
    assert post_bytes(url, b"abc")[0] == 404
    assert [(c.status, c.error) for c in fake.calls_to("file_upload")] == [
        (400, "file_upload_size_mismatch"),
        (200, None),
        (404, "not_found"),
        (404, "not_found"),
    ]


def test_uploads_slack_refuses_are_refused(fake: FakeSlack, client: WebClient) -> None:
    # A bot shares into a DM by the D… id conversations.open answers, not by the user's id.
    to_user = refusal(lambda: client.files_upload_v2(channel="U1", content="x", filename="x.txt"))
    assert to_user == "invalid_channel"
    assert fake.uploaded_files() == [] and fake.messages("U1") == []
    for args in ({"length": 3}, *({"filename": "x.txt", "length": n} for n in (0, -1, 2.5, "x"))):
        error = refusal(lambda a=args: client.api_call("files.getUploadURLExternal", params=a))
        assert error == "invalid_arguments", args
    unknown = refusal(lambda: client.files_completeUploadExternal(files=[{"id": "F404"}]))
    assert unknown == "file_not_found"
    assert refusal(lambda: client.files_completeUploadExternal(files=[])) == "invalid_arguments"


def test_rate_limits_carry_retry_after_and_a_retrying_client_gets_through(
    fake: FakeSlack,
) -> None:
    fake.fail_next("auth.test", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as error:
        WebClient(token="xoxb-1", base_url=fake.base_url).auth_test()
    assert error.value.response.status_code == 429
    assert error.value.response["error"] == "ratelimited"
    assert error.value.response.headers["Retry-After"] == "7"

    fake.fail_next("auth.test", status=429, retry_after=0)  # the handler waits Retry-After + <1 s
    patient = WebClient(
        token="xoxb-1", base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler(1)]
    )
    assert patient.auth_test()["ok"]
    assert [c.status for c in fake.calls_to("auth.test")] == [429, 429, 200]


def test_server_errors_can_be_injected(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", status=500, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            client.auth_test()
        assert error.value.response.status_code == 500
    assert client.auth_test()["ok"]
    fake.fail_next("response_url", status=500)
    webhook = WebhookClient(fake.new_response_url())
    assert webhook.send(text="x").status_code == 500
    assert webhook.send(text="x").status_code == 200
    with pytest.raises(ValueError, match="429 or 500"):
        fake.fail_next("auth.test", status=503)


def test_latency_is_applied_to_every_call(fake: FakeSlack, client: WebClient) -> None:
    fake.latency = 0.15
    started = time.monotonic()
    client.auth_test()
    WebhookClient(fake.new_response_url()).send(text="x")
    assert time.monotonic() - started >= 0.3


def test_wait_for_waits_for_late_calls_and_names_what_did_arrive(
    fake: FakeSlack, client: WebClient
) -> None:
    later = threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="late"))
    later.start()
    (call,) = fake.wait_for("chat.postMessage", lambda c: c.args["text"] == "late", timeout=2)
    assert call.response["message"]["text"] == "late"
    with pytest.raises(AssertionError, match=r"chat\.postMessage\(200\)"):
        fake.wait_for("views.open", timeout=0.1)


def test_reset_forgets_everything_but_the_users(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="hi")
    client.files_upload_v2(channel="C1", content="x", filename="x.txt")
    fake.fail_next("auth.test", status=500)
    fake.reset()
    assert fake.calls == [] and fake.messages("C1") == [] and fake.uploaded_files() == []
    assert client.auth_test()["ok"]
    assert client.users_info(user="U1")["user"]["real_name"] == "Amina Yusuf"
    assert fake.escape_command_text("#general") == "<#C0GENERAL|general>"  # channels stay too


def test_signatures_match_the_sdks_verifier() -> None:
    body = "token=x&command=%2Fpartners&text=caf%C3%A9"
    headers = signature_headers(SECRET, body)
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert SignatureVerifier(SECRET).is_valid_request(body.encode(), headers)
    assert signature_headers(SECRET, body.encode()) == headers
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = signature_headers(SECRET, body, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


class _App(BaseHTTPRequestHandler):
    """Stands in for the app: keeps what it receives, answers with the server's `answer`."""

    server: _AppServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.received.append((dict(self.headers), body))
        status, text = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format: str, *args: object) -> None:
        """Quiet, like the fake."""


class _AppServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _App)
        self.received: list[tuple[dict[str, str], str]] = []
        self.answer = (200, "")


@pytest.fixture
def app() -> Iterator[_AppServer]:
    server = _AppServer()
    serve_in_background(server)
    yield server
    server.shutdown()
    server.server_close()


def received(app: _AppServer) -> tuple[dict[str, str], str]:
    """The last request, after checking it carries a valid Slack signature."""
    headers, body = app.received[-1]
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    return headers, body


def payload(body: str) -> dict[str, Any]:
    return json.loads(urllib.parse.parse_qs(body)["payload"][0])


def test_the_driver_sends_commands_and_clicks_as_slack_does(
    fake: FakeSlack, client: WebClient, app: _AppServer
) -> None:
    driver = SlackDriver(f"http://127.0.0.1:{app.server_port}/slack/events", SECRET, fake)
    app.answer = (200, '{"response_type": "ephemeral"}')
    reply = driver.command("/partners", "help", user_id="U1")
    assert (reply.status, reply.json) == (200, {"response_type": "ephemeral"})
    headers, body = received(app)
    form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (form["command"], form["text"], form["user_id"], form["team_id"]) == (
        "/partners",
        "help",
        "U1",
        "T0FAKE",
    )
    assert client.views_open(trigger_id=form["trigger_id"], view=MODAL)["ok"]
    assert WebhookClient(form["response_url"]).send(text="done").body == "ok"

    posted = client.chat_postMessage(channel="C0GENERAL", text="pick", blocks=[SECTION])
    driver.block_action("U1", "pick", "7", channel_id="C0GENERAL", message_ts=posted["ts"])
    clicked = payload(received(app)[1])
    assert clicked["type"] == "block_actions" and clicked["user"]["id"] == "U1"
    assert clicked["actions"][0] | {"action_ts": "-"} == {
        "action_id": "pick",
        "block_id": "b",
        "type": "button",
        "value": "7",
        "action_ts": "-",
    }
    assert clicked["message"]["blocks"] == [SECTION] and clicked["response_url"]

    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})["view"]
    selected = {"type": "static_select", "selected_option": {"value": "a"}}
    driver.block_action("U1", "choose", view=home, extra_action=selected)
    in_view = payload(received(app)[1])
    assert in_view["container"] == {"type": "view", "view_id": home["id"]}
    assert in_view["actions"][0]["selected_option"] == {"value": "a"}
    assert "response_url" not in in_view


def test_the_driver_submits_the_view_slack_holds(
    fake: FakeSlack, client: WebClient, app: _AppServer
) -> None:
    driver = SlackDriver(f"http://127.0.0.1:{app.server_port}/slack/events", SECRET, fake)
    sent = modal(callback_id="edit", private_metadata="42")
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=sent)["view"]
    values = {"b": {"t": {"type": "plain_text_input", "value": "hello"}}}
    app.answer = (200, '{"response_action": "errors", "errors": {"b": "no"}}')
    reply = driver.view_submission("U1", fake.calls_to("views.open")[0].args["view"], values)
    assert reply.json == {"response_action": "errors", "errors": {"b": "no"}}
    submitted = payload(received(app)[1])["view"]
    assert (submitted["id"], submitted["callback_id"], submitted["private_metadata"]) == (
        opened["id"],
        "edit",
        "42",
    )
    assert submitted["state"] == {"values": values}


def test_the_driver_sends_events_and_slacks_retries(fake: FakeSlack, app: _AppServer) -> None:
    driver = SlackDriver(f"http://127.0.0.1:{app.server_port}/slack/events", SECRET, fake)
    app.answer = (401, "invalid request")
    reply = driver.event({"type": "app_home_opened", "user": "U1"}, event_id="Ev1", retry_num=2)
    assert (reply.status, reply.body, reply.json) == (401, "invalid request", None)
    headers, body = received(app)
    sent = json.loads(body)
    assert (sent["type"], sent["event_id"], sent["event"]["type"]) == (
        "event_callback",
        "Ev1",
        "app_home_opened",
    )
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("2", "http_timeout")
    driver.event({"type": "app_home_opened", "user": "U1"})
    headers, body = received(app)
    assert "X-Slack-Retry-Num" not in headers and json.loads(body)["event_id"] != "Ev1"


def test_the_driver_can_send_stale_or_forged_requests(fake: FakeSlack, app: _AppServer) -> None:
    driver = SlackDriver(f"http://127.0.0.1:{app.server_port}/slack/events", SECRET, fake)
    driver.command("/partners", timestamp=int(time.time()) - 600)
    driver.command("/partners", signing_secret="forged")
    verifier = SignatureVerifier(SECRET)
    assert not any(verifier.is_valid_request(body, headers) for headers, body in app.received)


def test_the_driver_sends_command_text_escaped_as_slack_does(
    fake: FakeSlack, app: _AppServer
) -> None:
    """Commands set `should_escape: true`: the test passes what the person typed."""
    driver = SlackDriver(f"http://127.0.0.1:{app.server_port}/slack/events", SECRET, fake)

    def text_sent() -> str:
        return urllib.parse.parse_qs(received(app)[1], keep_blank_values=True)["text"][0]

    driver.command("/update", "Q&A <now> with @amina at https://example.org/qa?a=1&b=2 @here")
    assert text_sent() == (
        "Q&amp;A &lt;now&gt; with <@U1|amina> at <https://example.org/qa?a=1&amp;b=2> <!here>"
    )
    driver.command("/update", "<!channel> as Slack sent it", escape=False)
    assert text_sent() == "<!channel> as Slack sent it"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("", ""),
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("&amp; typed", "&amp;amp; typed"),
        ("<@U1> typed", "&lt;@U1&gt; typed"),  # markup typed by hand stays text
        ("<@U1|amina> <!here> <#general>", "&lt;@U1|amina&gt; &lt;!here&gt; &lt;#general&gt;"),
        ("see https://example.org/a.", "see <https://example.org/a>."),
        ("(https://example.org/a), then", "(<https://example.org/a>), then"),
        ("https://example.org/a|b", "<https://example.org/a>|b"),
        ("example.org/path!", "<http://example.org/path|example.org/path>!"),
        ("www.harbour.org.uk", "<http://www.harbour.org.uk|www.harbour.org.uk>"),
        ("node.js e.g. v1.2", "node.js e.g. v1.2"),
        ("mail jo@harbour.org.", "mail <mailto:jo@harbour.org|jo@harbour.org>."),
        ("@amina @Amina @U1 @amina's", "<@U1|amina> <@U1|amina> <@U1|amina> <@U1|amina>'s"),
        ("@aminah @nobody me@amina", "@aminah @nobody me@amina"),
        ("@here @channel @everyone", "<!here> <!channel> <!everyone>"),
        ("#general #updates #nowhere", "<#C0GENERAL|general> <#C0UPDATES|updates> #nowhere"),
    ],
)
def test_command_text_is_escaped_as_slack_escapes_it(
    fake: FakeSlack, typed: str, sent: str
) -> None:
    fake.add_channel("C0UPDATES", "#updates")
    assert fake.escape_command_text(typed) == sent


def test_a_person_is_found_by_name_display_name_or_id_and_the_longest_wins(
    fake: FakeSlack,
) -> None:
    fake.add_user("U2", "Sam Member")  # no display name: named "sam.member"
    fake.add_user("U3", "Sam", "sam")
    fake.add_user("U4", "Gone Person", "gone", deleted=True)
    assert fake.escape_command_text("@sam.member, @sam. @gone") == (
        "<@U2|sam.member>, <@U3|sam>. @gone"
    )


def test_required_arguments_cover_slacks_published_description() -> None:
    published = json.loads(PUBLISHED_REQUIRED.read_text(encoding="utf-8"))
    for method, required in REQUIRED.items():
        if method in UNPUBLISHED:
            continue
        assert set(published[method]) <= set(required), method


def test_post_limits_answer_429_per_channel_and_per_workspace() -> None:
    with FakeSlack(post_limits=(1.0, 3)) as limited:
        client = WebClient(token="xoxb-test", base_url=limited.base_url)
        client.chat_postMessage(channel="C1", text="one")
        with pytest.raises(SlackApiError) as same_channel:
            client.chat_postMessage(channel="C1", text="too soon")
        assert same_channel.value.response.status_code == 429
        client.chat_postMessage(channel="C2", text="two")
        client.chat_postMessage(channel="C3", text="three")
        with pytest.raises(SlackApiError) as workspace:
            client.chat_postMessage(channel="C4", text="fourth in a second")
        assert workspace.value.response.headers.get("retry-after") in ("1", ["1"])
        # Another workspace's limits are its own: its token posts to the same channel id now.
        other = WebClient(token=installed_token(limited, "T0OTHER"), base_url=limited.base_url)
        assert other.chat_postMessage(channel="C1", text="the other workspace's")["ok"]


def installed_token(fake: FakeSlack, team_id: str) -> str:
    """A bot token for `team_id`, as the OAuth flow gets one."""
    link = (
        f"https://slack.com/oauth/v2/authorize?client_id={CLIENT_ID}&scope=chat:write"
        "&redirect_uri=https://partnerbot.example.org/slack/oauth_redirect&state=s"
    )
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(fake.mint_code(link, team_id, "U1")).query)
    answer = WebClient(base_url=fake.base_url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code["code"][0],
        redirect_uri="https://partnerbot.example.org/slack/oauth_redirect",
    )  # fmt: skip
    return str(answer["access_token"])


def test_a_persons_file_is_read_with_a_live_bot_token_only(
    fake: FakeSlack, client: WebClient
) -> None:
    """files.info answers the file a person chose in a form; its bytes go to a bot token, and
    without one Slack answers its sign-in page (200, HTML), not the file."""
    shared = fake.file_from("U0MEMBER", "partnership.toml", b'name = "P"\n')
    info = client.files_info(file=shared["id"])["file"]
    assert (info["user"], info["size"], info["name"]) == ("U0MEMBER", 11, "partnership.toml")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = info["url_private_download"]
    for headers, expected in (
        ({"Authorization": "Bearer xoxb-test"}, b'name = "P"\n'),
        ({}, fake_slack_methods.SIGN_IN_PAGE),
        ({"Authorization": "Bearer xoxp-a-user-token"}, fake_slack_methods.SIGN_IN_PAGE),
    ):
        with opener.open(urllib.request.Request(url, headers=headers), timeout=5) as answer:
            assert (answer.status, answer.read()) == (200, expected)
    tokens = [call.token for call in fake.calls_to("file_download")]
    assert tokens == ["xoxb-test", "", "xoxp-a-user-token"]
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_info(file="F0NOPE")
