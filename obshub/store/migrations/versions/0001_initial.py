"""Blocks and the append-only event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obshub_blocks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("station", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("station", "name", name="uq_obshub_blocks_station_name"),
    )
    op.create_table(
        "obshub_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("block_id", sa.Integer(), sa.ForeignKey("obshub_blocks.id"), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("frame_key", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.UniqueConstraint("block_id", "frame_key", name="uq_obshub_events_frame"),
    )
    op.create_index("ix_obshub_events_block_id", "obshub_events", ["block_id"])
    op.create_index("ix_obshub_events_kind", "obshub_events", ["kind"])


def downgrade() -> None:
    op.drop_table("obshub_events")
    op.drop_table("obshub_blocks")
