"""SQLAlchemy adapters for the storage ports of ``phenomena.services`` (SQLite and PostgreSQL).

The only part of ``phenomena`` that imports SQLAlchemy; nothing pure imports this package.
"""
