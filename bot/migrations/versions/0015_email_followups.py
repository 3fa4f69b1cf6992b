"""email follow-ups: a commitment may be owned by a key worker reached only by email

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commitment") as batch:
        batch.add_column(sa.Column("owner_key_worker_id", sa.Integer(), nullable=True))
        batch.create_index(
            batch.f("ix_commitment_owner_key_worker_id"), ["owner_key_worker_id"], unique=False
        )
        batch.create_foreign_key(
            batch.f("fk_commitment_owner_key_worker_id_keyworker"),
            "keyworker",
            ["owner_key_worker_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("commitment") as batch:
        batch.drop_constraint(
            batch.f("fk_commitment_owner_key_worker_id_keyworker"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_commitment_owner_key_worker_id"))
        batch.drop_column("owner_key_worker_id")
