"""The job registry: every job declared with @job is in it, once, and the README, `run-job` and
the partnership file's [schedule] agree with it."""

from __future__ import annotations

import ast
import importlib
import re

import pytest

from bot.services import rights
from bot.services.partnership_file import PartnershipFileError, parse_partnership
from bot.services.schedule import parse_when
from jobs.job import Job
from jobs.registry import JOBS, UnknownJob
from tests.conftest import ROOT


def declared_jobs() -> list[Job]:
    """Every function decorated with @job(...) anywhere in the code, as its module holds it."""
    found = []
    for folder in ("bot", "jobs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef) and any(
                    isinstance(d, ast.Call) and ast.unparse(d.func) == "job"
                    for d in function.decorator_list
                ):
                    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    found.append(getattr(importlib.import_module(module), function.name))
    return found


def test_every_declared_job_is_in_the_registry_once_and_nothing_else_is() -> None:
    declared = declared_jobs()
    assert all(isinstance(job, Job) for job in declared)
    assert sorted(job.name for job in declared) == sorted(JOBS)  # a twin name fails here too
    assert all(JOBS[job.name] is job for job in declared)


def test_the_readme_table_gives_each_job_its_default_schedule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The clock", 1)[1].split("\n## ", 1)[0]
    table = dict(re.findall(r"^\| `([a-z-]+)` \| `([^`]+)` \|", section, re.MULTILINE))
    assert table == {name: job.schedule for name, job in JOBS.items()}


def test_the_names_services_record_jobs_under_are_registered() -> None:
    """Erasure finds what the digest and opportunity reminders sent by their job names."""
    assert {rights.DIGEST_JOB, rights.OPPORTUNITY_REMINDERS_JOB} <= set(JOBS)


def test_an_unknown_job_in_the_schedule_gets_the_same_answer_as_run_job() -> None:
    text = '[partnership]\nname = "P"\n\n[schedule]\ndigets = "mon 09:00"\n'
    with pytest.raises(PartnershipFileError) as error:
        parse_partnership(text, "p.toml", jobs=JOBS)
    assert str(error.value) == f"p.toml, line 5, schedule.digets: {UnknownJob('digets')}"
    assert "jobs: digest, email, hotdesk-reminders, housekeeping" in str(error.value)


def test_a_job_the_file_leaves_out_keeps_its_default() -> None:
    text = '[partnership]\nname = "P"\n\n[schedule]\ndigest = "thu 10:00"\ncatch_up_hours = 6\n'
    schedule = parse_partnership(text, "p.toml", jobs=JOBS).schedule
    assert JOBS["digest"].when(schedule) == parse_when("thu 10:00")
    assert JOBS["retention"].when(schedule) == parse_when("daily 03:30")
    assert schedule.catch_up_hours == 6
