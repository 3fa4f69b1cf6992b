"""the partnership's jargon glossary; stories from hot-desk visits

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "glossary_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _text(40), nullable=False),
        sa.Column("term", _text(40), nullable=False),
        sa.Column("meaning", _text(150), nullable=False),
        sa.Column("description", _text(500), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("added_by", _text(30), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_glossary_term_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_term")),
        sa.UniqueConstraint("key", "organisation_id", name=op.f("uq_glossary_term_key")),
    )
    for column in ("key", "organisation_id", "added_by", "created_at"):
        op.create_index(op.f(f"ix_glossary_term_{column}"), "glossary_term", [column])
    op.create_table(
        "glossary_synonym",
        sa.Column("first", _text(40), nullable=False),
        sa.Column("second", _text(40), nullable=False),
        sa.Column("added_by", _text(30), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("first", "second", name=op.f("pk_glossary_synonym")),
    )
    op.create_table(
        "visit_story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("person_id", _text(30), nullable=False),
        sa.Column("role", _text(10), nullable=False),
        sa.Column("answer", _text(3000), nullable=False),
        sa.Column("asked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("update_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('visitor', 'host')", name=op.f("ck_visit_story_role")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["desk_booking.id"],
            name=op.f("fk_visit_story_booking_id_desk_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["partner_update.id"],
            name=op.f("fk_visit_story_update_id_partner_update"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_story")),
        sa.UniqueConstraint("booking_id", "person_id", name=op.f("uq_visit_story_booking_id")),
    )
    for column in ("booking_id", "person_id", "answered_at"):
        op.create_index(op.f(f"ix_visit_story_{column}"), "visit_story", [column])
    with op.batch_alter_table("member") as batch:
        batch.add_column(
            sa.Column("visit_stories", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("partnership") as batch:
        batch.add_column(
            sa.Column("jargon_stoplist", sa.String(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("partnership") as batch:
        batch.drop_column("jargon_stoplist")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("visit_stories")
    op.drop_table("visit_story")
    op.drop_table("glossary_synonym")
    op.drop_table("glossary_term")
