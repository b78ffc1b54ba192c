"""random ids for confidential sites, with the reference-derived id kept private

A site's id was derived from its provider's reference (UUID5), so an export's id could be
matched to a guessed reference ("Croydon refuge"). Confidential sites now get random ids; the
derived id moves to ``reference_key``, never exported, so a provider's own file still
updates the same site (issue 15).

Revision ID: 0008
Revises: 0007
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

sites = sa.table(
    "sites",
    sa.column("id", sa.String),
    sa.column("confidential", sa.Boolean),
    sa.column("reference_key", sa.String),
)


def upgrade() -> None:
    op.add_column("sites", sa.Column("reference_key", sa.String(length=36), nullable=True))
    op.create_index("ix_sites_reference_key", "sites", ["reference_key"])
    connection = op.get_bind()
    ids = connection.execute(sa.select(sites.c.id).where(sites.c.confidential.is_(True))).all()
    for (old,) in ids:
        connection.execute(
            sites.update().where(sites.c.id == old).values(id=str(uuid.uuid4()), reference_key=old)
        )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sites.update()
        .where(sites.c.reference_key.is_not(None))
        .values(id=sites.c.reference_key, reference_key=None)
    )
    op.drop_index("ix_sites_reference_key", table_name="sites")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("reference_key")
