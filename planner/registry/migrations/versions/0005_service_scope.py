"""service scope: local, sub-regional, the whole area set, or national

A wider service (a national helpline, a London-wide casework service) counts in every area it
covers, with its scope stated wherever it is listed (BRIEF §4.1). Services that already cover
every area are London-wide ("area_set").

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=20), nullable=False, server_default="local")
        )
    services = sa.table(
        "services", sa.column("scope", sa.String), sa.column("all_areas", sa.Boolean)
    )
    op.execute(services.update().where(services.c.all_areas.is_(True)).values(scope="area_set"))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("scope")
