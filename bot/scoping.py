"""Every statement sees one partnership's rows: the running work's (bot.partnership_scope).

Two parts, so that a forgotten filter fails loudly rather than leaking:

- Every ORM statement (select, update, delete on a model) gets `partnership_id = current`
  for each partnership's table it reads or changes (`with_loader_criteria`), without the
  services writing it.
- Every statement that reaches the database is checked: each partnership's table it reads or
  changes must be filtered on its `partnership_id` in the SQL itself. A Core or textual
  statement that forgot is refused (`Unscoped`) before it runs.

Work that serves every partnership at once says so with `across_partnerships`: the sweep of
day-old drafts, migrations, and the inbox's and outbox's sweeps finding what dead processes
left (each then does a partnership's work in its own).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement

from bot.models import InPartnership, Partnership, metadata
from bot.partnership_scope import current_partnership

# The execution option that lets a statement see every partnership's rows.
ACROSS = "partnerbot_across_partnerships"
across_partnerships: dict[str, Any] = {ACROSS: True}  # for `execution_options(**…)`


class Unscoped(RuntimeError):
    """A statement would read or change rows of every partnership without saying it may."""


@event.listens_for(Session, "do_orm_execute")
def _within_the_partnership(state: ORMExecuteState) -> None:
    if state.execution_options.get(ACROSS) or state.is_column_load or state.is_relationship_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(_criteria(current_partnership()))


@cache
def _criteria(partnership: int) -> Any:
    """The option that keeps a statement to `partnership`'s rows, made once per partnership:
    making it analyses its lambda, which cost each statement about 30 µs of CPU."""
    return with_loader_criteria(
        InPartnership, lambda cls: cls.partnership_column() == partnership, include_aliases=True
    )


def refuse_unscoped(engine: Engine) -> None:
    """Check every statement `engine` runs (see the module's docstring)."""
    event.listen(engine, "before_cursor_execute", _check, retval=False)


def _check(
    _connection: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    if context is not None and context.execution_options.get(ACROSS):
        return
    unfiltered = unfiltered_tables(statement)
    if unfiltered:
        raise Unscoped(
            f"this statement reads or changes {', '.join(sorted(unfiltered))} without "
            "`partnership_id =`: filter it, or run it `across_partnerships` on purpose"
        )


# A table read or changed, and the name the statement calls it by (its alias, if any).
_KEYWORDS = (
    "WHERE|SET|JOIN|ON|LEFT|RIGHT|INNER|OUTER|CROSS|FULL|NATURAL|USING|ORDER|GROUP|HAVING|LIMIT"
    "|OFFSET|FOR|RETURNING|UNION|EXCEPT|INTERSECT|WINDOW"
)
_TABLE = re.compile(
    rf'\b(?:FROM|JOIN|UPDATE)\s+"?(\w+)"?(?:\s+(?:AS\s+)?(?!(?:{_KEYWORDS})\b)(\w+))?',
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def unfiltered_tables(statement: str) -> frozenset[str]:
    """The partnership's tables `statement` reads or changes neither filtered on
    `<name>.partnership_id` nor addressed by their primary key (`= ?` or `IN (…)`, as the ORM
    writes a row it loaded within the partnership). Inserts and schema changes pass: an
    insert's partnership_id is filled by its column's default."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if verb not in ("SELECT", "UPDATE", "DELETE", "WITH"):
        return frozenset()
    missing = set()
    for match in _TABLE.finditer(statement):
        table, name = match.group(1), match.group(2) or match.group(1)
        keys = _KEYS.get(table)
        if keys is None:
            continue
        if not (
            _compared(statement, name, "partnership_id")
            or all(_compared(statement, name, key) for key in keys)
        ):
            missing.add(table)
    return frozenset(missing)


# The partnership's tables, and the columns of each one's primary key.
_KEYS = {
    table.name: tuple(column.name for column in table.primary_key)
    for table in metadata.tables.values()
    if "partnership_id" in table.c
}


def _compared(statement: str, name: str, column: str) -> bool:
    """Whether `statement` compares `name.column` with a value or a list."""
    pattern = rf"\b{re.escape(name)}\.\"?{column}\"?\s*(?:=|IN\b)"
    return re.search(pattern, statement, re.IGNORECASE) is not None


def ours(model: type[InPartnership]) -> ColumnElement[bool]:
    """`model`'s rows of the running work's partnership: the filter a Core statement (one run
    on `session.connection()`, which the ORM's criteria never see) must carry."""
    return model.partnership_column() == current_partnership()


def the_partnership(session: Session) -> Partnership:
    """The running work's partnership's row itself, for work that changes it (defaults before
    its file is loaded); reads take the kept copy, `bot.partnership_cache.partnership_settings`."""
    partnership = current_partnership()
    return session.get(Partnership, partnership) or Partnership(id=partnership)
