"""Alembic environment: runs migrations on the connection prevnet hands over.

``Database.upgrade`` opens an async connection and calls Alembic through ``run_sync``, passing the
synchronous connection in ``config.attributes["connection"]``; this file never opens its own.
"""

from __future__ import annotations

from alembic import context

from phenomena.storage.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `prevnet db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
