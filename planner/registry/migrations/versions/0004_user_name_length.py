"""user names as long as e-mail addresses

Single sign-on names accounts by e-mail address (up to 254 characters); the audit entity id
holds a user name for account events. On PostgreSQL the old VARCHAR(100) and VARCHAR(36)
refused them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WIDENED = {
    "organisations": {"updated_by": 100},
    "services": {"updated_by": 100},
    "users": {"username": 100},
    "audit_events": {"actor": 100, "entity_id": 36},
    "plans": {"owner": 100, "updated_by": 100},
}


def upgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns.items():
                batch_op.alter_column(
                    column, existing_type=sa.String(length=old), type_=sa.String(length=254)
                )


def downgrade() -> None:
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns.items():
                batch_op.alter_column(
                    column, existing_type=sa.String(length=254), type_=sa.String(length=old)
                )
