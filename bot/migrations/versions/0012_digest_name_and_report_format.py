"""a member's choice to be named as a visitor in the digest; the report's spreadsheet format

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(
            sa.Column("name_in_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("partnership") as batch:
        batch.add_column(
            sa.Column(
                "report_format",
                sqlmodel.sql.sqltypes.AutoString(length=4),
                nullable=False,
                server_default="xlsx",
            )
        )
        batch.create_check_constraint(
            op.f("ck_partnership_report_format"), "report_format IN ('xlsx', 'csv')"
        )


def downgrade() -> None:
    with op.batch_alter_table("partnership") as batch:
        batch.drop_constraint(op.f("ck_partnership_report_format"), type_="check")
        batch.drop_column("report_format")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("name_in_digest")
