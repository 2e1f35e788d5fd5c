"""Full-text search over messages, one interface over SQLite FTS5 and PostgreSQL tsvector."""
