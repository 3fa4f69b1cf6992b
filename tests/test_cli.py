"""The `partnerbot` command line, run as a person runs it: a real process, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from alembic.script import ScriptDirectory

from bot.db import MIGRATIONS_DIR, head_revision
from bot.fakeslack import FakeSlack
from bot.fakeslack.driver import SlackDriver
from bot.services.partnership_file import SAMPLE_PARTNERSHIP
from tests.conftest import private_postgres_schema
from tests.helpers import free_port, shown, wait_for_health

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(cwd, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def clean_env(cwd: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_", "PARTNER"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_URL"] = f"sqlite:///{cwd / 'partnerbot.db'}"
    env.update(extra)
    return env


def test_without_slack_tokens_web_says_what_to_set_and_exits_non_zero(tmp_path: Path) -> None:
    result = run(["web"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "api.slack.com/apps" in result.stderr and ".env" in result.stderr


def test_socket_mode_names_the_app_token(tmp_path: Path) -> None:
    result = run(["socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr and "connections:write" in result.stderr


def test_malformed_settings_are_one_line_each(tmp_path: Path) -> None:
    for env, expected in (
        ({"PORT": "eighty"}, "PORT must be a number"),
        ({"PARTNERBOT_TZ": "Mars/Olympus"}, "PARTNERBOT_TZ 'Mars/Olympus' is not a time zone"),
        (
            {"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"},
            "should start with xoxb-",
        ),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
    ):
        result = run(["web"], tmp_path, **env)
        assert result.returncode == 2, env
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


OAUTH = {
    "SLACK_CLIENT_ID": "1111.2222",
    "SLACK_CLIENT_SECRET": "client-secret",
    "SLACK_STATE_SECRET": "a-state-secret-long-enough",
}


def test_in_oauth_mode_web_asks_for_no_bot_token_and_jobs_wait_for_an_install(
    tmp_path: Path,
) -> None:
    web = run(["web"], tmp_path, **OAUTH)
    assert web.returncode == 2 and "Traceback" not in web.stderr
    assert "SLACK_SIGNING_SECRET is not set" in web.stderr
    assert "SLACK_BOT_TOKEN" not in web.stderr
    digest = run(["run-job", "digest", "--now", "2026-11-23T09:30"], tmp_path, **OAUTH)
    assert digest.returncode == 0, digest.stderr
    assert "digest: not installed yet (or uninstalled since): open /slack/install" in digest.stdout
    half = run(["web"], tmp_path, SLACK_CLIENT_ID="1111.2222", SLACK_SIGNING_SECRET="s")
    assert half.returncode == 2 and "SLACK_CLIENT_SECRET and SLACK_STATE_SECRET" in half.stderr


def test_settings_come_from_a_dotenv_file_in_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=nonsense\n")
    assert "PORT must be a number" in run(["web"], tmp_path).stderr


def test_db_upgrade_and_config_load_are_idempotent(tmp_path: Path) -> None:
    upgraded = run(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0 and f"schema {head_revision()}" in upgraded.stdout
    first = run(["config", "load", str(SAMPLE_PARTNERSHIP)], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "changes made" in first.stdout and "organisations: 6 added" in first.stdout
    second = run(["config", "load", str(SAMPLE_PARTNERSHIP)], tmp_path)
    assert (
        "nothing changed" in second.stdout
        and "organisations: 0 added, 0 updated, 6 unchanged" in second.stdout
    )


def test_config_export_writes_the_file_that_loads_back_changing_nothing(tmp_path: Path) -> None:
    assert run(["config", "load", str(SAMPLE_PARTNERSHIP)], tmp_path).returncode == 0
    printed = run(["config", "export"], tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# The partnership file, exported ")
    assert "by partnerbot config export" in printed.stdout and 'code = "HRS"' in printed.stdout
    written = run(["config", "export", "exported.toml"], tmp_path)
    assert written.stdout == "exported the partnership file to exported.toml\n"
    assert (tmp_path / "exported.toml").read_text().splitlines()[3:] == (
        printed.stdout.splitlines()[3:]
    )  # the same but for the header's time
    again = run(["config", "load", "exported.toml"], tmp_path)
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout
    nowhere = run(["config", "export", str(tmp_path / "no" / "such" / "dir.toml")], tmp_path)
    assert nowhere.returncode == 2 and "cannot write the file" in nowhere.stderr
    assert run(["config", "load"], tmp_path).stderr == (
        "partnerbot: config load needs the partnership file: partnerbot config load FILE\n"
    )


def test_a_schema_behind_the_code_stops_start_up_with_the_command_that_fixes_it(
    tmp_path: Path,
) -> None:
    """New code on the old schema would fail at its first query of a new column: web, clock and
    run-job refuse to start instead, in one line (SQLite's default migrates itself on start)."""
    head = head_revision()
    previous = ScriptDirectory(MIGRATIONS_DIR).get_revision(head).down_revision
    assert isinstance(previous, str)
    told = (
        f"partnerbot: the database schema is behind this code's (migrations {head} to run): "
        "run `partnerbot db upgrade` first\n"
    )
    with private_postgres_schema(previous) as url, FakeSlack() as fake:
        slack = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}
        env = {"DATABASE_URL": url, "SLACK_API_URL": fake.base_url, **slack}
        for command in (["web"], ["clock"], ["run-job", "digest", "--dry-run"]):
            refused = run(command, tmp_path, **env)
            assert (refused.returncode, refused.stderr) == (2, told), command
        assert f"schema {head}" in run(["db", "upgrade"], tmp_path, **env).stdout
        done = run(["run-job", "digest", "--now", "2026-11-23T09:30", "--dry-run"], tmp_path, **env)
        assert done.returncode == 0, done.stderr


def test_a_broken_partnership_file_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "p.toml"
    broken.write_text('[partnership]\nname = "P"\nprivacy = "loud"\n')
    result = run(["config", "load", str(broken)], tmp_path)
    assert result.returncode == 2
    assert f"{broken}, line 3, partnership.privacy" in result.stderr


def test_run_job_runs_a_job_by_name_and_rejects_unknown_names(tmp_path: Path) -> None:
    done = run(["run-job", "housekeeping", "--now", "2026-11-23T09:00", "--dry-run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "would forget 0 Slack event ids" in done.stdout
    digest = run(["run-job", "digest", "--now", "2026-11-23T09:30", "--dry-run"], tmp_path)
    assert digest.returncode == 0, digest.stderr
    assert "2026-W48: nothing happened this week" in digest.stdout
    unknown = run(["run-job", "digets"], tmp_path)
    assert unknown.returncode == 2 and "no job called 'digets'" in unknown.stderr


def test_web_serves_slack_and_healthz_under_gunicorn_after_migrating(tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack() as fake:
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=fake.base_url,
            PORT=str(port),
            PARTNERSHIP_CONFIG=str(SAMPLE_PARTNERSHIP),
            WEB_CONCURRENCY="1",
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            health = wait_for_health(f"http://127.0.0.1:{port}/healthz", server)
            assert health == {"database": "sqlite", "schema": head_revision(), "status": "ok"}
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", "secret", fake)
            assert driver.command("/partners", "orgs").status == 200
            assert "Harbour Refugee Support" in shown(fake.wait_for("response_url")[0].args)
        finally:
            server.terminate()
            server.wait(timeout=15)


def test_the_clock_process_catches_up_a_missed_run_once(tmp_path: Path) -> None:
    partnership = tmp_path / "partnership.toml"
    partnership.write_text(
        SAMPLE_PARTNERSHIP.read_text().replace("catch_up_hours = 24", "catch_up_hours = 168")
    )
    with FakeSlack() as fake:
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=fake.base_url,
            PARTNERSHIP_CONFIG=str(partnership),
        )
        first, second = (clock_start_lines(tmp_path, env) for _ in range(2))
    assert any("catch-up at start, partnership 1: digest: 2026-W" in line for line in first), first
    assert any("nothing happened this week; nothing sent" in line for line in first), first
    assert not any("digest: 2026-W" in line for line in second), second  # done: passed over
    assert any("partnership 1: over" in line for line in second), second


def clock_start_lines(cwd: Path, env: dict[str, str]) -> list[str]:
    """Start `python -m jobs`, read its log until the start-up catch-up is done, stop it."""
    clock = subprocess.Popen(
        [sys.executable, "-m", "jobs"], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    deadline = threading.Timer(30, clock.terminate)
    deadline.start()
    try:
        assert clock.stdout is not None
        for line in clock.stdout:
            lines.append(line)
            if "catch-up at start, partnership 1: over" in line or "Traceback" in line:
                break
    finally:
        deadline.cancel()
        clock.terminate()
        clock.wait(timeout=15)
    return [line for line in lines if "catch-up at start" in line]


def test_without_slack_tokens_the_run_command_starts_the_playground(tmp_path: Path) -> None:
    """The README's first command on a fresh machine: a page on 127.0.0.1, and the API behind it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=clean_env(tmp_path, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/state", timeout=2) as answer:
                    state = json.loads(answer.read())
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, server.stdout
                time.sleep(0.2)
        assert state["bound"] == f"127.0.0.1:{port}"
        assert "#partnership-updates" in [c["id"] for c in state["channels"]]
        with urllib.request.urlopen(f"{base}/", timeout=5) as page:
            assert page.status == 200 and b"playground" in page.read().lower()
        assert (tmp_path / "playground.db").exists()
        assert not (tmp_path / "partnerbot.db").exists()  # never the real database
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert "no Slack tokens are set" in output and "Traceback" not in output
