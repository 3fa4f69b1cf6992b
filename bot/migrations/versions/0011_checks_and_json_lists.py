"""states checked by the database; lists stored as JSON arrays; the outbox's `report_to`

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:30:00.000000

Every column that holds one of a closed set of words gets a CHECK constraint naming exactly the
words the code writes. Weekdays, closures and draft topics, stored comma-separated until now,
become JSON arrays (existing rows converted both ways). On SQLite each change rebuilds its table
(batch mode); `migrations/env.py` turns foreign keys off meanwhile, so dropping the old copy of
a table does not cascade to the rows that refer to it.
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column): the words the code writes there, as of this migration
CLOSED_SETS = {
    ("partnership", "privacy_policy"): ("warn", "block"),
    ("partnership", "bank_holidays"): ("ENG", "SCT", "WLS", "NIR"),
    ("inbox_item", "status"): ("working", "done", "failed"),
    ("outbox_item", "kind"): ("post", "redraw", "delete", "dm", "respond", "home", "upload"),
    ("outbox_item", "status"): ("pending", "sending", "sent", "failed", "unsure", "retried"),
    ("outbox_item", "row_kind"): ("", "update", "opportunity"),
    ("delivery", "status"): ("pending", "sending", "sent", "failed"),
    ("desk_booking", "part"): ("am", "pm", "day"),
    ("desk_booking", "status"): ("pending", "confirmed", "cancelled", "declined", "released"),
    ("desk_hold", "half"): ("am", "pm"),
    ("opportunity", "kind"): ("training", "event", "funding", "vacancy", "volunteering", "other"),
    ("opportunity", "status"): ("open", "closed", "withdrawn"),
    ("partnership_session", "kind"): ("reflective", "operational", "strategic", "training"),
    ("commitment", "status"): ("open", "working", "help", "done"),
    ("rsvp", "answer"): ("coming", "cant", "colleague"),
}
# (table, key, column, its length as comma-separated text)
LISTS = (
    ("hotdeskoffer", "organisation_id", "weekdays", 40),
    ("hotdeskoffer", "organisation_id", "closures", 2000),
    ("draft", "id", "topics", 2000),
)


def _tables() -> list[str]:
    return list(dict.fromkeys(table for table, _ in CLOSED_SETS))


def _convert(table: str, key: str, column: str, change: Callable[[str], str]) -> None:
    """Rewrite every row's `column` with `change` (few rows: offers and day-old drafts)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT {key}, {column} FROM {table}")).all()
    for row_key, value in rows:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key"),
            {"value": change(value), "key": row_key},
        )


def upgrade() -> None:
    for table in _tables():
        with op.batch_alter_table(table) as batch_op:
            for (owner, column), words in CLOSED_SETS.items():
                if owner == table:
                    listed = ", ".join(f"'{word}'" for word in words)
                    batch_op.create_check_constraint(
                        op.f(f"ck_{table}_{column}"), f"{column} IN ({listed})"
                    )
            if table == "outbox_item":
                batch_op.alter_column("tell", new_column_name="report_to")
    for table, key, column, length in LISTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column,
                type_=sqlmodel.sql.sqltypes.AutoString(),
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_nullable=False,
            )
        _convert(table, key, column, lambda text: json.dumps([i for i in text.split(",") if i]))


def downgrade() -> None:
    for table, key, column, length in LISTS:
        _convert(table, key, column, lambda text: ",".join(json.loads(text)))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column,
                type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_type=sqlmodel.sql.sqltypes.AutoString(),
                existing_nullable=False,
            )
    for table in _tables():
        with op.batch_alter_table(table) as batch_op:
            if table == "outbox_item":
                batch_op.alter_column("report_to", new_column_name="tell")
            for owner, column in CLOSED_SETS:
                if owner == table:
                    batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
