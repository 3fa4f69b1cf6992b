"""email coordinators: coordinators in the partnership file reached by email alone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_coordinator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_coordinator")),
        sa.UniqueConstraint("email", name=op.f("uq_email_coordinator_email")),
    )


def downgrade() -> None:
    op.drop_table("email_coordinator")
