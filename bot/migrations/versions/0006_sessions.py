"""partnership sessions, their attendance, commitments and RSVPs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:30:31.798765
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partnership_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("next_place", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership_session")),
    )
    with op.batch_alter_table("partnership_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partnership_session_held_on"), ["held_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partnership_session_next_on"), ["next_on"], unique=False
        )

    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["partnership_session.id"],
            name=op.f("fk_commitment_session_id_partnership_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment")),
    )
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commitment_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commitment_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_commitment_status"), ["status"], unique=False)

    op.create_table(
        "rsvp",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["partnership_session.id"],
            name=op.f("fk_rsvp_session_id_partnership_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "member_id", name=op.f("pk_rsvp")),
    )
    op.create_table(
        "session_organisation",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_session_organisation_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["partnership_session.id"],
            name=op.f("fk_session_organisation_session_id_partnership_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "session_id", "organisation_id", name=op.f("pk_session_organisation")
        ),
    )
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("followup_after", sa.Integer(), nullable=False, server_default="2")
        )


def downgrade() -> None:
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_column("followup_after")

    op.drop_table("session_organisation")
    op.drop_table("rsvp")
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commitment_status"))
        batch_op.drop_index(batch_op.f("ix_commitment_session_id"))
        batch_op.drop_index(batch_op.f("ix_commitment_owner_id"))

    op.drop_table("commitment")
    with op.batch_alter_table("partnership_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnership_session_next_on"))
        batch_op.drop_index(batch_op.f("ix_partnership_session_held_on"))

    op.drop_table("partnership_session")
