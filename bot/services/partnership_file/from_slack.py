"""The partnership file for coordinators in Slack (`/partners config`): the current settings to
edit, and an edited file loaded back, checked first and applied whole or not at all."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.db import read_scope, session_scope
from bot.models import AuditEntry, Partnership
from bot.partnership_scope import current_partnership
from bot.services import audit
from bot.services.directory import NotCoordinator, is_coordinator
from bot.services.partnership_file.apply import LoadReport, apply_in
from bot.services.partnership_file.read import (
    PartnershipFileError,
    PartnershipSpec,
    parse_partnership,
)
from bot.services.partnership_file.write import export_partnership
from bot.services.refusal import Refusal

FILE_BYTES_MAX = 500_000  # a partnership file is a few kilobytes; anything near this is not one
LOADED = "partnership file loaded"  # the audit entry's action


@dataclass(frozen=True)
class Exported:
    filename: str
    content: str


class NotLoaded(Refusal):
    """A file from Slack that was not loaded, and why: nothing changed."""


class PartnershipSettings:
    def __init__(self, engine: Engine, jobs: Collection[str]) -> None:
        self.engine = engine
        self.jobs = jobs  # the job names [schedule] may set (the caller's jobs.registry.JOBS)

    def export(self, user_id: str, now: datetime) -> Exported:
        """The file of the settings as they are now, for a coordinator to edit."""
        self.may_change(user_id)
        text = export_partnership(self.engine, now=now, by="/partners config")
        return Exported(f"partnership-{now:%Y-%m-%d}.toml", text)

    def may_change(self, user_id: str) -> None:
        """Refused for anyone but a coordinator."""
        with read_scope(self.engine) as session:
            if not is_coordinator(session, user_id):
                raise NotCoordinator("change the partnership's settings")

    def load(self, user_id: str, text: str, source: str, file_id: str) -> LoadReport:
        """Check the file (a mistake names its line: `source`, line 12, …) and apply it in one
        transaction with its audit entry. A file is loaded once: the same file (Slack's
        `file_id`) again changes nothing and says so."""
        self.may_change(user_id)
        try:
            spec = parse_partnership(text, source, jobs=self.jobs)
        except PartnershipFileError as mistake:
            raise NotLoaded(
                f"{mistake} (nothing has changed: correct it and load it again)"
            ) from None
        _keeps_its_loader(spec, user_id)
        with session_scope(self.engine) as session:
            session.exec(
                select(Partnership).where(Partnership.id == current_partnership()).with_for_update()
            ).first()
            if not is_coordinator(session, user_id):
                raise NotCoordinator("change the partnership's settings")
            if _loaded_before(session, file_id):
                raise NotLoaded(f"{source} was loaded already; loading it again changes nothing.")
            report = apply_in(session, spec)
            changes = "; ".join(report.lines()) if report.changed else "nothing changed"
            audit.record(session, user_id, LOADED, f"{file_id} {source}: {changes}")
        return report


def _keeps_its_loader(spec: PartnershipSpec, user_id: str) -> None:
    """A coordinator's file must keep them a coordinator: one that leaves them out would take
    away the say over these settings of the person loading them (no way back from Slack)."""
    if any(coordinator.slack == user_id for coordinator in spec.coordinators):
        return
    entry = f'slack = "{user_id}"'
    if not any(coordinator.slack for coordinator in spec.coordinators):
        raise NotLoaded(
            "This file lists no coordinator on Slack, so nobody could change these settings "
            f"from Slack after loading it. Nothing has changed: add yourself under "
            f"[[coordinators]] ({entry}) and load it again."
        )
    raise NotLoaded(
        "This file leaves you out of [[coordinators]], and a coordinator's own file must keep "
        f"them one. Nothing has changed: put your entry back ({entry}) and load it again."
    )


def _loaded_before(session: Session, file_id: str) -> bool:
    return (
        session.exec(
            select(AuditEntry.id).where(
                AuditEntry.action == LOADED, col(AuditEntry.detail).startswith(f"{file_id} ")
            )
        ).first()
        is not None
    )
