"""every row belongs to a partnership; references and uniqueness stay within one

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 18:00:00.000000

Each table but `partnership` and `secret` gets `partnership_id` (existing rows: the one
partnership, id 1, made here if the file was never loaded). A reference to a partnership's row
names the partnership too (a composite foreign key onto a `(partnership_id, id)` unique index),
so the database refuses a row pointing into another partnership; what was unique is unique
within a partnership. References that are set to NULL when their row goes (a member's
organisation, a visit's visitor organisation, a commitment's owner, a story's update) keep their
single-column key: SQLite cannot null one column of a composite key.

On SQLite each table is rebuilt (batch mode, foreign keys off meanwhile: see env.py), which drops
partner_update's full-text triggers (migration 0002); they are made again as they were.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPED = (
    "topic", "organisation", "keyworker", "partner_person", "email_coordinator", "hotdeskoffer",
    "member", "inbox_item", "outbox_item", "processedevent", "partner_update", "update_topic",
    "draft", "job_run", "delivery", "email_delivery", "email_link_use", "desk_booking",
    "desk_hold", "opportunity", "opportunity_interest", "partnership_session",
    "session_organisation", "commitment", "rsvp", "audit_entry", "erasure", "glossary_term",
    "glossary_synonym", "visit_story",
)  # fmt: skip
# Tables referred to within a partnership: (partnership_id, id) unique.
KEYED = (
    "topic", "organisation", "partner_update", "job_run", "desk_booking", "opportunity",
    "partnership_session",
)  # fmt: skip
# (table, column, referred table): references within a partnership, all ON DELETE CASCADE.
WITHIN = (
    ("keyworker", "organisation_id", "organisation"),
    ("partner_person", "organisation_id", "organisation"),
    ("hotdeskoffer", "organisation_id", "organisation"),
    ("partner_update", "organisation_id", "organisation"),
    ("update_topic", "update_id", "partner_update"),
    ("update_topic", "topic_id", "topic"),
    ("draft", "update_id", "partner_update"),
    ("delivery", "job_run_id", "job_run"),
    ("desk_booking", "organisation_id", "organisation"),
    ("desk_hold", "booking_id", "desk_booking"),
    ("desk_hold", "organisation_id", "organisation"),
    ("opportunity", "organisation_id", "organisation"),
    ("opportunity_interest", "opportunity_id", "opportunity"),
    ("session_organisation", "session_id", "partnership_session"),
    ("session_organisation", "organisation_id", "organisation"),
    ("commitment", "session_id", "partnership_session"),
    ("rsvp", "session_id", "partnership_session"),
    ("glossary_term", "organisation_id", "organisation"),
    ("visit_story", "booking_id", "desk_booking"),
)
# (table, old unique constraint, new unique index, its columns after partnership_id)
UNIQUE_WITHIN = (
    ("topic", "uq_topic_name", "uq_topic_name", ("name",)),
    ("organisation", "uq_organisation_code", "uq_organisation_code", ("code",)),
    ("organisation", "uq_organisation_name", "uq_organisation_name", ("name",)),
    ("email_coordinator", "uq_email_coordinator_email", "uq_email_coordinator_email", ("email",)),
    ("member", "uq_member_slack_user_id", "uq_member_slack_user_id", ("slack_user_id",)),
    ("job_run", "uq_job_run_job", "uq_job_run_job_scope_period", ("job", "scope", "period")),
    ("email_delivery", "uq_email_delivery_key", "uq_email_delivery_key", ("key",)),
    (
        "desk_hold", "uq_desk_hold_visitor_id", "uq_desk_hold_visitor_id_day_half",
        ("visitor_id", "day", "half"),
    ),
    (
        "glossary_term", "uq_glossary_term_key", "uq_glossary_term_key_organisation_id",
        ("key", "organisation_id"),
    ),
)  # fmt: skip
# Tables keyed by what they hold, which is now unique within a partnership: the key's other columns.
KEYS = {"erasure": ("fingerprint",), "glossary_synonym": ("first", "second")}
# Tables with no key of their own: partnership_id is the first column of theirs.
UNINDEXED = tuple(KEYS)

FTS_TRIGGERS = (
    "CREATE TRIGGER partner_update_fts_insert AFTER INSERT ON partner_update BEGIN "
    "INSERT INTO partner_update_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER partner_update_fts_delete AFTER DELETE ON partner_update BEGIN "
    "INSERT INTO partner_update_fts(partner_update_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER partner_update_fts_update AFTER UPDATE OF text ON partner_update BEGIN "
    "INSERT INTO partner_update_fts(partner_update_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO partner_update_fts(rowid, text) VALUES (new.id, new.text); END",
)


def upgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if connection.execute(sa.text("SELECT count(*) FROM partnership")).scalar() == 0:
        connection.execute(
            sa.text(
                "INSERT INTO partnership (id, name, privacy_policy, schedule, bank_holidays, "
                "followup_after, retention, sending_paused, report_format, emails_per_minute, "
                "jargon_stoplist) VALUES (1, 'Our partnership', 'warn', '', 'ENG', 2, '', "
                ":no, 'xlsx', 30, '[]')"
            ),
            {"no": False},
        )
    for table in SCOPED:  # a plain ADD COLUMN: existing rows are the one partnership's
        op.add_column(
            table, sa.Column("partnership_id", sa.Integer(), nullable=False, server_default="1")
        )
    for table in KEYED:
        op.create_index(
            f"uq_{table}_partnership_id_id", table, ["partnership_id", "id"], unique=True
        )
    for table in SCOPED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("partnership_id", server_default=None)
            for t, old, _new, _columns in UNIQUE_WITHIN:
                if t == table:
                    batch_op.drop_constraint(old, type_="unique")
            if table in KEYS:
                batch_op.drop_constraint(f"pk_{table}", type_="primary")
                batch_op.create_primary_key(f"pk_{table}", ["partnership_id", *KEYS[table]])
            batch_op.create_foreign_key(
                f"fk_{table}_partnership_id_partnership", "partnership", ["partnership_id"],
                ["id"], ondelete="CASCADE",
            )  # fmt: skip
            for t, column, referred in WITHIN:
                if t == table:
                    batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")
                    batch_op.create_foreign_key(
                        f"fk_{table}_partnership_id_{referred}", referred,
                        ["partnership_id", column], ["partnership_id", "id"], ondelete="CASCADE",
                    )  # fmt: skip
        if table not in UNINDEXED:
            op.create_index(f"ix_{table}_partnership_id", table, ["partnership_id"])
        for t, _old, new, columns in UNIQUE_WITHIN:
            if t == table:
                op.create_index(new, table, ["partnership_id", *columns], unique=True)
    if sqlite:
        for statement in FTS_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    connection = op.get_bind()
    for table in reversed(SCOPED):
        for t, _old, new, _columns in UNIQUE_WITHIN:
            if t == table:
                op.drop_index(new, table_name=table)
        if table not in UNINDEXED:
            op.drop_index(f"ix_{table}_partnership_id", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            for t, column, referred in WITHIN:
                if t == table:
                    batch_op.drop_constraint(f"fk_{table}_partnership_id_{referred}", "foreignkey")
                    batch_op.create_foreign_key(
                        f"fk_{table}_{column}_{referred}", referred, [column], ["id"],
                        ondelete="CASCADE",
                    )  # fmt: skip
            batch_op.drop_constraint(f"fk_{table}_partnership_id_partnership", "foreignkey")
            if table in KEYS:
                batch_op.drop_constraint(f"pk_{table}", type_="primary")
                batch_op.create_primary_key(f"pk_{table}", list(KEYS[table]))
            for t, old, _new, columns in UNIQUE_WITHIN:
                if t == table:
                    batch_op.create_unique_constraint(old, list(columns))
        if table in KEYED:
            op.drop_index(f"uq_{table}_partnership_id_id", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("partnership_id")
    if connection.dialect.name == "sqlite":
        for statement in FTS_TRIGGERS:
            op.execute(statement)
