"""The fake Slack answers like Slack and refuses what Slack refuses, through the real SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.testing.fake_slack import REQUIRED, FakeSlack
from bot.testing.signing import signature_headers

SPEC = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "slack" / "web_api_openapi_v2.json"
)
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", "Amina Yusuf", "amina", tz="Europe/London")
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def refused(call: object) -> str:
    with pytest.raises(SlackApiError) as error:
        call()  # type: ignore[operator]
    return error.value.response["error"]


def test_the_methods_answer_like_slack(fake: FakeSlack, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == "UPARTNERBOT"
    user = client.users_info(user="U1")["user"]
    assert (user["real_name"], user["tz"], user["profile"]["display_name"]) == (
        "Amina Yusuf",
        "Europe/London",
        "amina",
    )
    assert client.conversations_open(users="U1")["channel"]["id"] == "D1"
    posted = client.chat_postMessage(channel="U1", text="hi", blocks=[SECTION])
    assert posted["channel"] == "D1"
    client.chat_update(channel="D1", ts=posted["ts"], text="edited")
    assert fake.messages("D1")[0]["text"] == "edited"
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    client.chat_delete(channel="D1", ts=posted["ts"])
    assert fake.messages("D1") == []
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [SECTION]}
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=modal)["view"]
    assert client.views_update(view_id=opened["id"], view=modal)["view"]["id"] == opened["id"]
    assert client.views_push(trigger_id=fake.new_trigger_id(), view=modal)["ok"]
    assert home["view"]["id"].startswith("V")
    assert [c.method for c in fake.calls][:3] == ["auth.test", "users.info", "conversations.open"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_it_refuses_what_slack_refuses(fake: FakeSlack, client: WebClient) -> None:
    assert refused(lambda: client.api_call("chat.postMessagee")) == "unknown_method"
    assert refused(lambda: client.users_info(user="U404")) == "user_not_found"
    assert refused(lambda: client.api_call("users.info", http_verb="GET", params={})) == (
        "invalid_arguments"
    )
    assert refused(lambda: client.chat_postMessage(channel="C1")) == "no_text"
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    assert refused(lambda: client.chat_postMessage(channel="C1", blocks=[long_section])) == (
        "invalid_blocks"
    )
    odd = {"type": "sparkle", "text": "?"}
    assert refused(lambda: client.chat_postMessage(channel="C1", blocks=[odd])) == "invalid_blocks"
    many = [{"type": "divider"}] * 51
    assert refused(lambda: client.chat_postMessage(channel="C1", blocks=many)) == "invalid_blocks"
    assert refused(lambda: client.chat_postMessage(channel="C1", text="x" * 40_001)) == (
        "msg_too_long"
    )
    assert refused(lambda: client.chat_update(channel="C1", ts="1.2", text="x")) == (
        "message_not_found"
    )
    assert refused(lambda: client.chat_delete(channel="C1", ts="1.2")) == "message_not_found"
    title = {"type": "plain_text", "text": "x" * 25}
    long_title = {"type": "modal", "title": title, "blocks": [SECTION]}
    assert refused(
        lambda: client.views_open(trigger_id=fake.new_trigger_id(), view=long_title)
    ) == ("invalid_arguments")
    big_home = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert refused(lambda: client.views_publish(user_id="U1", view=big_home)) == (
        "invalid_arguments"
    )
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [SECTION]}
    assert refused(lambda: client.views_update(view_id="V404", view=modal)) == "not_found"
    assert (
        refused(lambda: client.api_call("views.update", json={"view": modal}))
        == "invalid_arguments"
    )
    assert refused(lambda: WebClient(base_url=fake.base_url).auth_test()) == "not_authed"
    assert refused(lambda: WebClient("xoxp-1", base_url=fake.base_url).auth_test()) == (
        "invalid_auth"
    )


def test_trigger_ids_work_once_and_only_when_issued(fake: FakeSlack, client: WebClient) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [SECTION]}
    trigger = fake.new_trigger_id()
    client.views_open(trigger_id=trigger, view=modal)
    assert refused(lambda: client.views_open(trigger_id=trigger, view=modal)) == (
        "exchanged_trigger_id"
    )
    assert refused(lambda: client.views_open(trigger_id="made-up", view=modal)) == (
        "invalid_trigger_id"
    )


def test_a_response_url_works_five_times(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.new_response_url())
    for _ in range(5):
        assert webhook.send(text="hi", blocks=[SECTION]).status_code == 200
    assert webhook.send(text="sixth").status_code == 404
    assert webhook.send(text="").status_code == 404
    recorded = fake.calls_to("response_url")
    assert recorded[0].args["text"] == "hi" and recorded[-1].error == "used_url"


def test_a_response_url_refuses_invalid_blocks(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.new_response_url())
    assert webhook.send(text="x", blocks=[{"type": "divider"}] * 51).status_code == 400


def test_rate_limits_carry_retry_after_and_a_retrying_client_gets_through(fake: FakeSlack) -> None:
    fake.fail_next("auth.test", status=429, retry_after=1)
    bare = WebClient(token="xoxb-1", base_url=fake.base_url)
    with pytest.raises(SlackApiError) as error:
        bare.auth_test()
    assert error.value.response.status_code == 429
    assert (
        error.value.response.headers["retry-after"] == ["1"]
        or error.value.response.headers["retry-after"] == "1"
    )

    fake.fail_next("auth.test", status=429, retry_after=1)
    patient = WebClient(
        token="xoxb-1", base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler(1)]
    )
    assert patient.auth_test()["ok"]
    assert [c.status for c in fake.calls_to("auth.test")] == [429, 429, 200]


def test_server_errors_and_latency_can_be_injected(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("auth.test", status=500, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.auth_test()
    assert client.auth_test()["ok"]
    fake.latency = 0.2
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2


def test_wait_for_names_what_did_arrive(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"auth.test\(200\)"):
        fake.wait_for("chat.postMessage", timeout=0.2)


def test_signatures_match_the_sdks_verifier() -> None:
    body = "token=x&command=%2Fpartners&text=help"
    headers = signature_headers("secret", body)
    verifier = SignatureVerifier("secret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


def test_required_arguments_cover_slacks_published_description() -> None:
    if not SPEC.exists():
        pytest.skip(
            f"Slack's Web API description is not at {SPEC}; it sits beside the project in CI"
        )
    paths = json.loads(SPEC.read_text(encoding="utf-8"))["paths"]
    for method, required in REQUIRED.items():
        operation = next(iter(paths[f"/{method}"].values()))
        published = {
            parameter["name"]
            for parameter in operation.get("parameters", [])
            if parameter.get("required") and parameter["name"] != "token"
        }
        assert published <= set(required) | {"users", "channel"}, method
