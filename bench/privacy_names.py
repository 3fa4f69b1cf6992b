"""The named-client guard: its figures on the names corpora (tuning and held-back parts apart),
the identifier corpora before and after it, and the time per update against the guard as it was
before it (bot/services/privacy.py at BASELINE, loaded from git), in the same run. Prints tables;
not a test.

    .venv/bin/python -m bench.privacy_names
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bot.services import privacy
from bot.services.privacy_names import KnownPeople
from tests import privacy_corpus, privacy_holdout, privacy_names_corpus, privacy_names_holdout

BASELINE = "cff13fa"  # main before the named-client detector
STAFF = 2000  # members' and key workers' names in a large partnership
ROUNDS = 20
LONG_ROUNDS = 200


def baseline_guard() -> ModuleType:
    """bot/services/privacy.py as it was at BASELINE: identifiers only."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:bot/services/privacy.py"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    spec = importlib.util.spec_from_loader("privacy_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["privacy_before"] = module  # dataclasses look their module up by name
    exec(compile(source, "privacy_before.py", "exec"), module.__dict__)
    return module


def staff_names() -> KnownPeople:
    first = ["Priya", "Tom", "Aisha", "Morag", "Kamal", "Ewa", "Ruth", "Yonas", "Claire", "Omar"]
    last = ["Shah", "Brown", "Rahman", "Fraser", "Ali", "Nowak", "Reid", "Tesfaye", "Kelly"]
    return KnownPeople(f"{first[i % 10]} {last[i % 9]}{i}" for i in range(STAFF))


def rate(flagged: Callable[[str], bool], texts: list[str]) -> str:
    held = sum(map(flagged, texts))
    return f"{held}/{len(texts)} {held / len(texts):6.1%}"


def names_table() -> None:
    def held(text: str) -> bool:
        return any(f.kind is privacy.Kind.CLIENT_NAME for f in privacy.scan(text))

    print(f"{'names corpus':<14}{'named clients held':>22}{'ordinary updates held':>25}")
    for part, clients, ordinary in (
        ("tuning", privacy_names_corpus.CLIENTS, privacy_names_corpus.ORDINARY),
        (
            "held back",
            privacy_names_holdout.HOLDOUT_CLIENTS,
            privacy_names_holdout.HOLDOUT_ORDINARY,
        ),
    ):
        print(f"{part:<14}{rate(held, clients):>22}{rate(held, ordinary):>25}")


def identifiers_table(before: ModuleType) -> None:
    print(f"\n{'identifier corpus':<26}{'false positives':>17}{'recall':>16}")
    for part, ordinary, planted in (
        ("tuning", privacy_corpus.ORDINARY, privacy_corpus.planted()),
        ("held-out", privacy_holdout.HOLDOUT_ORDINARY, privacy_holdout.holdout_planted()),
    ):
        for label, scan in (("before", before.scan), ("after", privacy.scan)):
            false = rate(lambda text, scan=scan: bool(scan(text)), ordinary)
            caught = sum(kind.value in {f.kind.value for f in scan(text)} for text, kind in planted)
            recall = f"{caught}/{len(planted)} {caught / len(planted):6.1%}"
            print(f"{part + ', ' + label:<26}{false:>17}{recall:>16}")


def timing_table(before: ModuleType) -> None:
    texts = [
        *privacy_names_corpus.CLIENTS, *privacy_names_corpus.ORDINARY,
        *privacy_names_holdout.HOLDOUT_CLIENTS, *privacy_names_holdout.HOLDOUT_ORDINARY,
        *privacy_corpus.ORDINARY, *privacy_holdout.HOLDOUT_ORDINARY,
    ]  # fmt: skip
    long = " ".join(privacy_names_corpus.ORDINARY[:20])  # a 1,300-character update
    staff = staff_names()
    guards: list[tuple[str, Callable[[str], object]]] = [
        ("before (identifiers only)", before.scan),
        ("after, no staff names", privacy.scan),
        (f"after, {STAFF} staff names", lambda text: privacy.scan(text, staff)),
    ]
    print(
        f"\n{len(texts)} updates: mean over {ROUNDS} rounds; one long update, {LONG_ROUNDS} times"
    )
    print(f"{'guard':<28}{'ms per update':>15}{'1,300 chars':>13}")
    for label, scan in guards:
        scan(texts[0])  # word lists read, patterns compiled
        per_round = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for text in texts:
                scan(text)
            per_round.append((time.perf_counter() - start) / len(texts) * 1000)
        start = time.perf_counter()
        for _ in range(LONG_ROUNDS):
            scan(long)
        long_ms = (time.perf_counter() - start) / LONG_ROUNDS * 1000
        print(f"{label:<28}{statistics.mean(per_round):>15.3f}{long_ms:>13.3f}")


def main() -> None:
    before = baseline_guard()
    names_table()
    identifiers_table(before)
    timing_table(before)


if __name__ == "__main__":
    main()
