"""The playground, driven in a real headless browser (Debian's Chromium through Playwright):
what a newcomer with no Slack workspace does first, and two workspaces side by side, each its
own partnership."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.__main__ import parser
from bot.config import Settings
from bot.partnership_scope import serve_many
from bot.playground.server import Playground, build, serve
from bot.playground.workspaces import team_of
from bot.services.working_days import WorkingDays

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LONDON = ZoneInfo("Europe/London")
AMINA = "U0000AMINA1"  # Harbour Refugee Support's key worker: she visits Kinship Youth Trust
EWAN = "U0000EWAN01"  # Kinship Youth Trust's key worker: tue and thu, no approval needed
COORDINATOR = "U0000COORD1"  # the sample partnership's first coordinator
AMINA_2 = "U20000AMINA1"  # Amina's namesake in workspace 2, a renamed copy of the sample
SAMPLE_NAME = "Riverside Refugee and Care Leavers Partnership"


def next_open_day(weekdays: tuple[int, ...] = (1, 3)) -> date:
    """A Tuesday or Thursday at least two days ahead that is not a bank holiday."""
    working = WorkingDays()
    day = datetime.now(LONDON).date() + timedelta(days=2)
    while day.weekday() not in weekdays or not working.is_working_day(day):
        day += timedelta(days=1)
    return day


def coming_monday() -> date:
    """Next week's Monday: the digest runs at 09:00 then."""
    today = datetime.now(LONDON).date()
    return today + timedelta(days=7 - today.weekday())


@contextmanager
def running(tmp_path: Path, workspaces: int = 1) -> Iterator[Playground]:
    played = build(Settings(), f"sqlite:///{tmp_path}/playground.db", workspaces=workspaces)
    server = serve(played, 0)
    try:
        yield played
    finally:
        server.shutdown()
        played.fake.stop()
        serve_many(False)  # the playground's bot serves many: the next test's has one partnership


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    with running(tmp_path) as played:
        yield played


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Playground]:
    """`partnerbot playground --workspaces 2`."""
    with running(tmp_path, workspaces=2) as played:
        yield played


# What a page shows is waited for, not timed: a report drawn (and matplotlib loaded) on a busy
# machine running four test processes can take longer than Playwright's default 5 s.
expect.set_options(timeout=20_000)


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: install Debian's chromium (CI does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def opened(browser: Browser, playground: Playground, path: str = "/") -> Page:
    """The playground's page at `path`, in a browser of its own (nothing remembered)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"http://{playground.bound}{path}")
    return page


@pytest.fixture
def page(playground: Playground, browser: Browser) -> Page:
    return opened(browser, playground)


def as_user(page: Page, user_id: str) -> None:
    page.select_option("#user", user_id)


def open_channel(page: Page, channel: str) -> None:
    page.click(f'[data-channel="{channel}"]')


def command(page: Page, text: str) -> None:
    page.fill("#composer", text)
    page.press("#composer", "Enter")


def test_it_binds_to_this_machine_only_and_says_so(page: Page, playground: Playground) -> None:
    assert playground.bound.startswith("127.0.0.1:")
    expect(page.locator("body")).to_contain_text("127.0.0.1")


def test_the_page_is_drawn_with_its_styles_and_scripts(page: Page) -> None:
    """style.css, blockkit.js and page.js, beside index.html, all load and work."""
    expect(page.locator("#topbar")).to_have_css("background-color", "rgb(53, 13, 54)")
    expect(page.locator("#user option")).not_to_have_count(0)
    expect(page.locator("#channel-list")).to_contain_text("partnership-updates")
    expect(page.locator("#workspace-name")).to_have_text(SAMPLE_NAME)  # its one workspace's
    expect(page.locator("#side-by-side")).to_be_hidden()


def test_book_a_desk_in_the_form_and_the_host_is_told(page: Page) -> None:
    as_user(page, AMINA)
    open_channel(page, "#partnership-updates")
    command(page, "/hotdesk")
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    modal.locator('[data-block-id="host"] select').select_option("KYT")
    expect(modal).to_contain_text("A worker will meet you at the door")  # protocol, before booking
    modal.locator('[data-block-id="day"] input').fill(next_open_day().isoformat())
    modal.locator('[data-block-id="part"]').get_by_text("whole day").click()
    page.click("#modal-submit")
    expect(modal).to_be_hidden()
    expect(page.locator("#messages")).to_contain_text("Booked a desk at Kinship Youth Trust")
    as_user(page, EWAN)
    open_channel(page, "D0000EWAN01")
    expect(page.locator("#messages")).to_contain_text("is coming to Kinship Youth Trust")


def test_a_click_changes_the_message_in_place(page: Page) -> None:
    as_user(page, AMINA)
    open_channel(page, "#partnership-opportunities")
    command(page, "/opportunity event Partnership learning day")
    message = page.locator(".message:not(.ephemeral)", has_text="Partnership learning day")
    expect(message).to_contain_text("0 interested")
    message.locator('button[data-action-id="opportunity_interest"]').click()
    expect(message).to_contain_text("1 interested")
    expect(page.locator(".message.ephemeral")).to_have_count(2)  # "shared" and "noted", hers only


def test_running_the_digest_shows_it_in_the_digest_channel(page: Page) -> None:
    as_user(page, AMINA)
    open_channel(page, "#partnership-updates")
    command(page, "/update We have opened a Saturday drop-in for young people")
    expect(page.locator("#messages")).to_contain_text("Posted to")
    run_digest(page)
    open_channel(page, "#partnership-digest")
    expect(page.locator("#messages")).to_contain_text("Saturday drop-in")
    if os.environ.get("PLAYGROUND_SCREENSHOT"):  # how the README's picture is made
        page.screenshot(path=os.environ["PLAYGROUND_SCREENSHOT"])
    open_channel(page, "home")
    expect(page.locator("#home")).to_contain_text("Your partnership this week")


def run_digest(page: Page) -> None:
    """Run the weekly digest from the page as of next Monday 09:00: one post sent."""
    page.select_option("#job", "digest")
    page.fill("#job-now", f"{coming_monday().isoformat()}T09:00")
    page.click("#job-run")
    expect(page.locator("#job-result")).to_contain_text("1 sent")


def test_the_report_shows_its_chart_and_offers_the_spreadsheet(
    page: Page, playground: Playground
) -> None:
    as_user(page, AMINA)
    open_channel(page, "#partnership-updates")
    command(page, "/update We have opened a Saturday drop-in for young people")
    expect(page.locator("#messages")).to_contain_text("Posted to")
    as_user(page, COORDINATOR)
    open_channel(page, "D0000COORD1")
    today = datetime.now(LONDON).date()
    command(page, f"/partners report since {today.day}/{today.month}")
    image = page.locator("img.file-image")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    sheet = page.locator('.file-card[data-file-name$=".xlsx"] a')
    expect(sheet).to_have_attribute("download", re.compile(r"\.xlsx$"))
    with page.expect_download() as downloading:
        sheet.click()
    assert downloading.value.suggested_filename.endswith(".xlsx")
    with open(downloading.value.path(), "rb") as downloaded:
        assert downloaded.read(2) == b"PK"  # a zip, as XLSX files are


# Only its own page: not another web page, not a name rebound to 127.0.0.1 -------------------

COMMAND = json.dumps({"user": AMINA, "text": "/partners help"})


def call(
    playground: Playground,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, http.client.HTTPMessage]:
    """One request to the page's server, with exactly these headers (Host included): its
    status, body and headers."""
    host, port = playground.bound.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body, {"Host": playground.bound, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode(), response.headers
    finally:
        connection.close()


def post_json(playground: Playground, headers: dict[str, str] | None = None) -> int:
    status, _, _ = call(
        playground,
        "POST",
        "/api/command",
        COMMAND,
        {"Content-Type": "application/json", **(headers or {})},
    )
    return status


@pytest.mark.parametrize("host", ["rebound.example", "evil.example:{port}", "127.0.0.1:1"])
def test_a_request_addressed_to_another_name_is_refused(playground: Playground, host: str) -> None:
    """DNS rebinding: a page whose name now points at 127.0.0.1 reads nothing, does nothing."""
    port = playground.bound.split(":")[1]
    foreign = {"Host": host.format(port=port)}
    for path in ("/", "/api/state", "/side-by-side"):
        status, body, _ = call(playground, "GET", path, headers=foreign)
        assert status == 421 and "own address" in body and "members" not in body
    assert post_json(playground, foreign) == 421


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1", "null"])
def test_a_post_from_another_origin_is_refused(playground: Playground, origin: str) -> None:
    assert post_json(playground, {"Origin": origin}) == 403


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_post_that_is_not_json_is_refused(
    playground: Playground, content_type: str | None
) -> None:
    """A foreign page can send these without asking the browser first (no CORS preflight)."""
    headers = {"Content-Type": content_type} if content_type else {}
    status, body, _ = call(playground, "POST", "/api/command", COMMAND, headers)
    assert status == 415 and "application/json" in body


def test_the_pages_own_requests_work_by_either_name(playground: Playground) -> None:
    port = playground.bound.split(":")[1]
    for name in (f"127.0.0.1:{port}", f"localhost:{port}"):
        own = {"Host": name, "Origin": f"http://{name}"}
        status, body, _ = call(playground, "GET", "/api/state", headers=own)
        assert status == 200 and json.loads(body)["me"]
        replies = len(playground.fake.calls_to("response_url"))
        assert post_json(playground, own) == 200
        playground.fake.wait_for("response_url", count=replies + 1)  # it reached the bot
    assert post_json(playground) == 200  # a client that sends no Origin (curl) is let in


def test_the_page_is_its_static_files_each_with_its_type(playground: Playground) -> None:
    for path, content_type, start in (
        ("/", "text/html", "<!doctype html>"),
        ("/index.html", "text/html", "<!doctype html>"),
        ("/style.css", "text/css", "/*"),
        ("/blockkit.js", "text/javascript", "//"),
        ("/page.js", "text/javascript", "//"),
        ("/side-by-side", "text/html", "<!doctype html>"),
        ("/side-by-side.js", "text/javascript", "//"),
    ):
        status, body, headers = call(playground, "GET", path)
        assert (status, headers.get_content_type()) == (200, content_type), path
        assert body.startswith(start), path
        assert headers["X-Frame-Options"] == "SAMEORIGIN", path  # no other site may frame it


@pytest.mark.parametrize(
    "path",
    ["/server.py", "/../server.py", "/static/page.js", "/%2e%2e/server.py", "/..", "/nothing.js"],
)
def test_nothing_but_the_page_is_served(playground: Playground, path: str) -> None:
    assert call(playground, "GET", path)[:2] == (404, "not found")


def test_the_email_panel_shows_what_was_sent_and_its_links_work(page: Page) -> None:
    """Northside's key worker Jamal is not on Slack: a visit request reaches him by email,
    through the playground's mail sink, and its Approve link opens the bot's own page."""
    as_user(page, AMINA)
    open_channel(page, "#partnership-updates")
    command(page, f"/hotdesk book NCL {next_open_day():%-d/%-m/%Y} am")
    expect(page.locator("#messages")).to_contain_text("Requested a desk")
    page.select_option("#job", "email")
    page.click("#job-run")
    expect(page.locator("#job-result")).to_contain_text("1 emails sent")
    page.click('[data-key="email"]')
    expect(page.locator("article.email")).to_contain_text("Visit request: Amina Yusuf")
    expect(page.locator("article.email")).to_contain_text("calendar invitation (REQUEST)")
    frame = page.frame_locator("iframe.email-body")
    expect(frame.locator("body")).to_contain_text("asks to use a hot desk at Northside")
    with page.context.expect_page() as opened:
        frame.locator("a", has_text="Approve the visit").click()
    approve = opened.value
    expect(approve.locator("h1")).to_have_text("Approve this visit?")
    approve.click("button")
    expect(approve.locator("h1")).to_have_text("Visit approved")


def test_a_coordinator_exports_the_partnership_file_and_loads_it_back_edited(page: Page) -> None:
    """The file input of `/partners config load` works in the page: the chosen file goes to
    the fake Slack as the person's, and the form carries it, as in Slack."""
    as_user(page, COORDINATOR)
    open_channel(page, "D0000COORD1")
    command(page, "/partners config")
    exported = page.locator('.file-card[data-file-name$=".toml"] a')
    expect(exported).to_have_count(1)
    with page.expect_download() as downloading:
        exported.click()
    text = Path(downloading.value.path()).read_text()
    edited = text.replace(
        'name = "Riverside Refugee and Care Leavers Partnership"',
        'name = "Riverside Partnership"',
    )
    assert edited != text
    command(page, "/partners config load")
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    chooser = modal.locator('input[type="file"]')
    chooser.set_input_files(
        {"name": "partnership.toml", "mimeType": "text/plain", "buffer": edited.encode()}
    )
    expect(chooser).to_have_attribute("data-file-id", re.compile(r"^F"))  # the fake has it
    page.click("#modal-submit")
    expect(modal).to_be_hidden()
    expect(page.locator("#messages")).to_contain_text("the partnership's settings are changed")


# Two workspaces, each its own partnership: `partnerbot playground --workspaces 2` -----------

WORD = "Plantwordone"  # only workspace 1's data holds it
WORD_2 = "Plantwordtwo"  # only workspace 2's


def posted(playground: Playground, workspace: int, user: str, channel: str, text: str) -> None:
    """A slash command as the page sends it for a workspace, its post in the channel waited for."""
    body = {"workspace": workspace, "user": user, "channel": channel, "text": f"/update {text}"}
    headers = {"Content-Type": "application/json"}
    assert call(playground, "POST", "/api/command", json.dumps(body), headers)[0] == 200
    playground.fake.wait_for("chat.postMessage", lambda c: text in json.dumps(c.args))


def state_of(playground: Playground, workspace: int, user: str = "") -> dict:
    status, body, _ = call(playground, "GET", f"/api/state?workspace={workspace}&user={user}")
    assert status == 200, body
    return json.loads(body)


def test_a_post_in_one_workspace_shows_in_its_channel_and_never_in_another(
    two: Playground, browser: Browser
) -> None:
    first = opened(browser, two, "/?workspace=1")
    expect(first.locator("#workspace-number")).to_have_text("1")
    expect(first.locator("#workspace-name")).to_have_text(SAMPLE_NAME)
    as_user(first, AMINA)
    open_channel(first, "#partnership-updates")
    command(first, f"/update {WORD} drop-in for young people on Saturdays")
    expect(first.locator("#messages")).to_contain_text("Posted to")
    expect(first.locator(".message:not(.ephemeral)", has_text=WORD)).to_have_count(1)
    second = opened(browser, two, "/?workspace=2")
    expect(second.locator("#workspace-number")).to_have_text("2")
    expect(second.locator("#workspace-name")).to_have_text(f"{SAMPLE_NAME} (workspace 2)")
    expect(second.locator("#channel-list")).to_contain_text("partnership-updates-2")
    expect(second.locator("#user option")).to_have_count(len(state_of(two, 2)["members"]))
    ones = {member["id"] for member in state_of(two, 1)["members"]}
    twos = {member["id"] for member in state_of(two, 2)["members"]}
    shown = set(second.locator("#user option").evaluate_all("os => os.map(o => o.value)"))
    assert shown == twos and AMINA_2 in twos and not ones & twos  # its own people only
    assert WORD in json.dumps(state_of(two, 1, AMINA))
    for user in twos:  # whoever acts in workspace 2 sees nothing of workspace 1's
        assert WORD not in json.dumps(state_of(two, 2, user)), user


def test_a_job_run_from_a_workspaces_page_runs_for_its_partnership(
    two: Playground, browser: Browser
) -> None:
    posted(two, 1, AMINA, "#partnership-updates", f"{WORD} drop-in on Saturdays")
    posted(two, 2, AMINA_2, "#partnership-updates-2", f"{WORD_2} drop-in on Fridays")
    second = opened(browser, two, "/?workspace=2")
    as_user(second, AMINA_2)
    run_digest(second)
    open_channel(second, "#partnership-digest-2")
    expect(second.locator("#messages")).to_contain_text(WORD_2)
    expect(second.locator("#messages")).not_to_contain_text(WORD)
    assert two.fake.messages("#partnership-digest") == []  # workspace 1's: not run there
    tokens = {
        call.response["team"]["id"]: call.response["access_token"]
        for call in two.fake.calls_to("oauth.v2.access")
    }
    digests = [
        c for c in two.fake.calls_to("chat.postMessage") if c.args["channel"].endswith("digest-2")
    ]
    assert digests and {c.token for c in digests} == {tokens[team_of(2)]}  # as installed there


def test_the_workspaces_side_by_side_each_in_its_frame(two: Playground, browser: Browser) -> None:
    posted(two, 1, AMINA, "#partnership-updates", f"{WORD} drop-in on Saturdays")
    page = opened(browser, two, "/?workspace=1")
    page.click("#side-by-side")  # the header's link
    expect(page).to_have_url(re.compile(r"/side-by-side$"))
    expect(page.locator("iframe.workspace-frame")).to_have_count(2)
    one = page.frame_locator('iframe[data-workspace="1"]')
    other = page.frame_locator('iframe[data-workspace="2"]')
    expect(one.locator("#workspace-name")).to_have_text(SAMPLE_NAME)
    expect(other.locator("#workspace-name")).to_have_text(f"{SAMPLE_NAME} (workspace 2)")
    expect(one.locator("#messages")).to_contain_text(WORD)
    expect(other.locator("#pane-title")).to_have_text("# partnership-updates-2")
    expect(other.locator("#messages")).to_contain_text("No messages here yet")
    expect(one.locator("#side-by-side")).to_be_hidden()  # no frames within frames


def test_an_email_shows_in_the_page_of_the_workspace_it_was_sent_in(two: Playground) -> None:
    """Jamal, Northside's key worker not on Slack, is in both workspaces' files (workspace 2's
    copy has its own address): a visit request to workspace 1's is in workspace 1's Email panel."""
    day = next_open_day()
    booking = {"workspace": 1, "user": AMINA, "text": f"/hotdesk book NCL {day:%-d/%-m/%Y} am"}
    headers = {"Content-Type": "application/json"}
    assert call(two, "POST", "/api/command", json.dumps(booking), headers)[0] == 200
    two.fake.wait_for("response_url", lambda c: "Requested a desk" in json.dumps(c.args))
    job = json.dumps({"workspace": 1, "name": "email"})
    status, body, _ = call(two, "POST", "/api/job", job, headers)
    assert status == 200 and "1 emails sent" in body
    emails = state_of(two, 1)["emails"]
    assert [email["to"] for email in emails] == ["jamal.hussain@northside.example.org"]
    assert state_of(two, 2)["emails"] == []


@pytest.mark.parametrize("workspace", ["3", "0", "x"])
def test_a_workspace_the_playground_does_not_play_is_refused_plainly(
    two: Playground, workspace: str
) -> None:
    status, body, _ = call(two, "GET", f"/api/state?workspace={workspace}")
    assert status == 404
    assert json.loads(body)["error"] == (
        f"There is no workspace {workspace} here: this playground plays workspaces 1 to 2."
    )
    command = json.dumps({"workspace": workspace, "user": AMINA, "text": "/partners help"})
    headers = {"Content-Type": "application/json"}
    assert call(two, "POST", "/api/command", command, headers)[0] == 404


@pytest.mark.parametrize("given", ["0", "5", "two"])
def test_the_command_line_asks_for_one_to_four_workspaces(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parser().parse_args(["playground", "--workspaces", "2"]).workspaces == 2
    with pytest.raises(SystemExit):
        parser().parse_args(["playground", "--workspaces", given])
    assert f"--workspaces: give a number from 1 to 4, not '{given}'" in capsys.readouterr().err
