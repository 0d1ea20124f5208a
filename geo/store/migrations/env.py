"""Alembic environment: migrations run on the connection :mod:`geo.store.engine` hands over,
inside its transaction (one transaction per upgrade, so a killed upgrade leaves nothing)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
