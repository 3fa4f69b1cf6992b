"""One module a migration, in order; Alembic skips this file."""
