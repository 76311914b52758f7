"""Backups: ``jili backup`` and ``jili restore`` — SQLite through its online backup API,
PostgreSQL through ``pg_dump -Fc`` / ``pg_restore``; a restore checks the backup's
migration revision against this code's head."""
