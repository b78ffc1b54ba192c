"""account requests, and a note on a returned submission

A charity asks for a provider account for its organisation; a commissioner accepts or refuses
it with a note (BRIEF §8). A commissioner may return a submitted service to its provider with a
note the provider sees.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_requests",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("charity_number", sa.String(length=20)),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=50)),
        sa.Column("website", sa.String(length=500)),
        sa.Column("message", sa.String(length=1000)),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000)),
        sa.Column("organisation_id", sa.String(length=36), sa.ForeignKey("organisations.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", sa.String(length=254)),
    )
    op.create_index("ix_account_requests_email", "account_requests", ["email"])
    op.create_index("ix_account_requests_status", "account_requests", ["status"])
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_note", sa.String(length=1000)))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("review_note")
    op.drop_index("ix_account_requests_status", "account_requests")
    op.drop_index("ix_account_requests_email", "account_requests")
    op.drop_table("account_requests")
