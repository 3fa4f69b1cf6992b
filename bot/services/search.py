"""Full-text search over updates, in the database (SQLite FTS5 or PostgreSQL tsvector).

The one place that knows how each backend searches; callers get a WHERE clause to combine
with their own filters, so the database does the matching and the paging.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, column, false, text
from sqlmodel import Session, col

from bot.models import PartnerUpdate

WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
MAX_WORDS = 12


def search_words(query: str) -> list[str]:
    """The words worth searching for: letters and digits only, so no query syntax gets through."""
    return list(dict.fromkeys(word.lower() for word in WORD.findall(query)))[:MAX_WORDS]


def matching_updates(
    session: Session, words: Sequence[str], any_word: bool = False
) -> ColumnElement[bool]:
    """A WHERE clause for updates whose text has all the words (or any, for related work)."""
    if not words:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        joiner = " or " if any_word else " "
        ids = text(
            "SELECT id FROM partner_update "
            "WHERE search @@ websearch_to_tsquery('english', :search_query)"
        ).bindparams(search_query=joiner.join(words))
    else:
        joiner = " OR " if any_word else " AND "
        ids = text(
            "SELECT rowid FROM partner_update_fts WHERE partner_update_fts MATCH :search_query"
        ).bindparams(search_query=joiner.join(f'"{word}"' for word in words))
    return col(PartnerUpdate.id).in_(ids.columns(column("id", Integer)))
