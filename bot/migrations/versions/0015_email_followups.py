"""email follow-ups: partner staff not on Slack ([[people]]), and commitments owned by them or
by a key worker reached only by email

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OWNERS = {"owner_key_worker_id": "keyworker", "owner_person_id": "partner_person"}


def upgrade() -> None:
    op.create_table(
        "partner_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_partner_person_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_person")),
        sa.UniqueConstraint(
            "organisation_id", "name", name=op.f("uq_partner_person_organisation_id")
        ),
    )
    op.create_index(
        op.f("ix_partner_person_organisation_id"),
        "partner_person",
        ["organisation_id"],
        unique=False,
    )
    with op.batch_alter_table("commitment") as batch:
        for column, table in OWNERS.items():
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_index(batch.f(f"ix_commitment_{column}"), [column], unique=False)
            batch.create_foreign_key(
                batch.f(f"fk_commitment_{column}_{table}"),
                table,
                [column],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade() -> None:
    with op.batch_alter_table("commitment") as batch:
        for column, table in OWNERS.items():
            batch.drop_constraint(batch.f(f"fk_commitment_{column}_{table}"), type_="foreignkey")
            batch.drop_index(batch.f(f"ix_commitment_{column}"))
            batch.drop_column(column)
    op.drop_index(op.f("ix_partner_person_organisation_id"), table_name="partner_person")
    op.drop_table("partner_person")
