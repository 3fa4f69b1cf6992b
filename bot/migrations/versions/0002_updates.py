"""updates, their topics, held drafts, and full-text search over updates

SQLite gets an external-content FTS5 table kept in step by triggers; PostgreSQL a generated
tsvector column with a GIN index. `bot.services.search` is the only code that reads them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:39:22.494984
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("wants_help", sa.Boolean(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edited_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_partner_update_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_update")),
    )
    with op.batch_alter_table("partner_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_update_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_update_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_update_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("topics", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("wants_help", sa.Boolean(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["partner_update.id"],
            name=op.f("fk_draft_update_id_partner_update"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft")),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_draft_created_at"), ["created_at"], unique=False)

    op.create_table(
        "update_topic",
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topic.id"],
            name=op.f("fk_update_topic_topic_id_topic"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["partner_update.id"],
            name=op.f("fk_update_topic_update_id_partner_update"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", "topic_id", name=op.f("pk_update_topic")),
    )

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(
            "ALTER TABLE partner_update ADD COLUMN search tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_partner_update_search ON partner_update USING gin (search)")


SQLITE_FTS = (
    "CREATE VIRTUAL TABLE partner_update_fts USING fts5("
    "text, content='partner_update', content_rowid='id', tokenize='porter unicode61')",
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE partner_update_fts")
    op.drop_table("update_topic")
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_created_at"))
        batch_op.drop_index(batch_op.f("ix_draft_author_id"))

    op.drop_table("draft")
    with op.batch_alter_table("partner_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_update_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_partner_update_created_at"))
        batch_op.drop_index(batch_op.f("ix_partner_update_author_id"))

    op.drop_table("partner_update")
