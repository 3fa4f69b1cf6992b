"""How counts are written in what people read: "1 update", "2 updates", never "1 updates"."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """The number with the noun that agrees with it (`plural` for irregular nouns)."""
    noun = singular if number == 1 else plural or f"{singular}s"
    return f"{number} {noun}"
