"""Alembic migrations, shipped inside the package so `webcare migrate` works anywhere."""
