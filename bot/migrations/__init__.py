"""Alembic's migrations, shipped inside the package so an installed wheel can migrate: `bot.db`
and alembic.ini (`bot:migrations`) find them through importlib.resources."""
