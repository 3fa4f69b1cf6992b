"""What listeners are given besides Bolt's own arguments (injected as `services`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.services.directory import Directory


@dataclass(frozen=True)
class Services:
    engine: Engine
    directory: Directory

    @classmethod
    def on(cls, engine: Engine) -> Services:
        return cls(engine=engine, directory=Directory(engine))
