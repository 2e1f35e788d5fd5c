"""WhatsApp delivery statuses and templates.

Outbound messages learn when WhatsApp delivered them and when the customer read them
(``delivery_status`` itself is a free string column, so ``delivered``/``read`` need no change
there). A template's name, language and parameters travel in the message's ``raw`` JSON.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import webcare.kit.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = webcare.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("delivered_at", _TIME, nullable=True))
        batch.add_column(sa.Column("read_at", _TIME, nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode: recreating ``messages``
    # on SQLite would drop the full-text triggers that revision 0001 put on it.
    op.drop_column("messages", "read_at")
    op.drop_column("messages", "delivered_at")
