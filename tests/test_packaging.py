"""What `pip install .` gives a person: every package the code imports declared, and a wheel
that migrates a database and serves with nothing from the checkout."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
import urllib.request
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bot.db import head_revision
from bot.fakeslack import FakeSlack
from tests.helpers import free_port, imported_modules, wait_for_health

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
FIRST_PARTY = {"bot", "jobs", "tests", "bench"}


TYPES_ONLY = {"_typeshed"}  # the type checker's own, imported under TYPE_CHECKING only


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: list[str]) -> set[str]:
    names = (re.match(r"[A-Za-z0-9._-]+", requirement) for requirement in requirements)
    return {canonical(name.group()) for name in names if name}


def undeclared_imports(folders: tuple[str, ...], allowed: set[str]) -> list[str]:
    """'file imports module' for each import of a package that `allowed` does not name."""
    providers = importlib.metadata.packages_distributions()
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for module in imported_modules(path):
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in FIRST_PARTY or top in TYPES_ONLY:
                    continue
                if not {canonical(d) for d in providers.get(top, [top])} & allowed:
                    found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    """A package that is only there because something else pulls it in goes when that does."""
    assert undeclared_imports(("bot", "jobs"), declared(PROJECT["dependencies"])) == []


# What a person runs: the command line, the web process, the playground, the clock, and the
# OAuth flow (imported only in OAuth mode).
ENTRY_MODULES = (
    "bot.__main__", "bot.web", "bot.playground.server", "jobs.clock", "bot.slack.oauth",
)  # fmt: skip
# Run in a fresh interpreter: every module of a package `pip install .` would not bring is
# refused, as it would be missing there; optional imports (mako's of pygments) fall back.
WITHOUT_DEV_PACKAGES = """
import importlib.abc, json, sys
missing = set(json.loads(sys.argv[1]))

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in missing:
            raise ModuleNotFoundError(f"No module named {name!r} in a plain install", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
for module in sys.argv[2:]:
    __import__(module)
"""


def runtime_distributions() -> set[str]:
    """What `pip install .` brings: the declared dependencies and, through their own
    requirements (with the extras asked for), everything those need."""
    found: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    waiting = [Requirement(text) for text in PROJECT["dependencies"]]
    while waiting:
        wanted = waiting.pop()
        name, extras = canonical(wanted.name), frozenset(wanted.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        found.add(name)
        for text in importlib.metadata.requires(name) or []:
            needed = Requirement(text)
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in (*extras, "")
            ):
                waiting.append(needed)
    return found


def test_what_the_app_loads_comes_with_its_own_dependencies() -> None:
    """The README's first command installs without the dev extras. A package the app needs
    that only a dev tool brought would be missing there alone: slack_sdk's OAuth stores load
    SQLAlchemy's asyncio support, which needs greenlet, and only Playwright had brought it."""
    runtime = runtime_distributions()
    missing = sorted(
        top
        for top, names in importlib.metadata.packages_distributions().items()
        if top not in FIRST_PARTY and not {canonical(name) for name in names} & runtime
    )
    loaded = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_PACKAGES, json.dumps(missing), *ENTRY_MODULES],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr[-2000:]


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    dev = declared(PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"])
    assert undeclared_imports(("tests", "bench"), dev) == []


def test_the_constraints_pin_every_declared_dependency() -> None:
    """The README and CI install through constraints.txt: a dependency it leaves out would
    come in at whatever version is newest that day."""
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    pinned = {canonical(name) for name in re.findall(r"^([A-Za-z0-9._-]+)==", pins, re.M)}
    wanted = declared(PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"])
    assert wanted - pinned == set()


def without_checkout() -> dict[str, str]:
    """The environment of a person who installed the wheel: no PYTHONPATH to the checkout, no
    settings from the one running the tests."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_", "PARTNER", "PORT", "PYTHON"))
    }


def build_wheel(into: Path) -> Path:
    """A wheel built from the files a fresh clone has (tracked, or new and not ignored), so
    nothing left in the work tree (build/, a stray file) can hide a missing one."""
    source = into / "source"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    shutil.rmtree(source)
    (wheel,) = into.glob("partnerbot-*.whl")
    return wheel


def install(wheel: Path, into: Path) -> Path:
    """A fresh venv holding the wheel; its dependencies are the ones these tests run with (read
    from this interpreter's site-packages, whose .pth files, such as an editable install's,
    are not run), so it needs no download. Returns the venv's bin/."""
    venv.create(into, with_pip=False)
    python = into / "bin" / "python"
    own = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(own, "dependencies_under_test.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    return into / "bin"


@pytest.mark.slow
def test_an_installed_wheel_migrates_and_serves_without_the_checkout(tmp_path: Path) -> None:
    bin_ = install(build_wheel(tmp_path / "dist"), tmp_path / "venv")
    work = tmp_path / "work"  # where the person runs it: no checkout in sight
    work.mkdir()
    env = without_checkout() | {"DATABASE_URL": f"sqlite:///{work / 'partnerbot.db'}"}

    def partnerbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [bin_ / "partnerbot", *args], cwd=work, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip

    where = subprocess.run(
        [bin_ / "python", "-c", "import bot; print(bot.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "venv")), where.stdout

    upgraded = partnerbot("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database sqlite is at schema {head_revision()}" in upgraded.stdout

    port = free_port()
    with FakeSlack() as fake:
        web = subprocess.Popen(
            [bin_ / "partnerbot", "web"], cwd=work, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=env | {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret",
                       "SLACK_API_URL": fake.base_url, "PORT": str(port), "WEB_CONCURRENCY": "1"},
        )  # fmt: skip
        try:
            health = wait_for_health(f"http://127.0.0.1:{port}/healthz", web)
        finally:
            web.terminate()
            web.wait(timeout=15)
    assert health == {"database": "sqlite", "schema": head_revision(), "status": "ok"}

    port = free_port()
    playground = subprocess.Popen(
        [bin_ / "partnerbot", "playground", "--port", str(port)], cwd=work, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        state = wait_for_health(f"http://127.0.0.1:{port}/api/state", playground)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200 and b"playground" in page.read().lower()
    finally:
        playground.terminate()
        playground.wait(timeout=15)
    assert "#partnership-updates" in [channel["id"] for channel in state["channels"]]  # sample's
