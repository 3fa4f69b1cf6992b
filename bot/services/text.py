"""Cleaning of text people type, before any rule looks at it or the database stores it."""

from __future__ import annotations

import re

# Control characters other than tab and newline: invisible, and PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str | None) -> str:
    """The text without control characters, trimmed."""
    return CONTROL.sub("", text or "").strip()
