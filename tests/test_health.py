"""Health checks and the maintenance page while migrations run (issue 13, item 4)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

from jili.extensions import db
from jili.feedback import unlogged
from jili.health.services import script_heads
from test_feedback_unlogged import access, gunicorn_logger, written


@contextmanager
def database_at(pg_run, revision: str):
    """Pretend the database was migrated to ``revision`` (the table alembic keeps).
    On PostgreSQL the app's role may not create tables: the run's owner does."""
    engine = pg_run.admin if pg_run else db.engine
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
        if pg_run and pg_run.app_role:
            conn.exec_driver_sql(f"GRANT SELECT ON alembic_version TO {pg_run.app_role}")
    try:
        yield lambda rev: _set_revision(engine, rev)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))


def _set_revision(engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_needs_the_schema_at_head(client, pg_run):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["database"] == "answers" and body["migrations"] == "database not under migrations"
    (head,) = script_heads()
    with database_at(pg_run, head) as set_revision:
        response = client.get("/readyz")
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["migrations"] == "at head"
        assert response.get_json()["queue"] == "reachable"
        set_revision("0001")
        body = client.get("/readyz").get_json()
        assert body["status"] == "not ready" and "head is" in body["migrations"]


def test_a_migration_under_way_shows_a_translated_maintenance_page(app, client, pg_run):
    app.config["MAINTENANCE_RECHECK_SECONDS"] = 0
    app.extensions["jili.schema_gate"].every = 0
    (head,) = script_heads()
    with database_at(pg_run, "0001") as set_revision:
        page = client.get("/login", headers={"Accept-Language": "zh-TW"})
        assert page.status_code == 503 and page.headers["Retry-After"]
        html = page.get_data(as_text=True)
        assert "更新" in html and 'lang="zh-Hant"' in html
        english = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Jili is being updated" in english
        assert client.get("/healthz").status_code == 200  # the monitor still gets its answer
        set_revision(head)
        assert client.get("/login").status_code == 200


def test_a_database_never_migrated_is_not_a_maintenance(client):
    """Tests and `create_all` databases have no alembic table: pages work."""
    assert client.get("/login").status_code == 200


def test_health_checks_leave_no_access_log_line(tmp_path):
    logger = gunicorn_logger(tmp_path)
    assert isinstance(logger, unlogged.GunicornLogger)
    access(logger, "GET", "/healthz")
    access(logger, "GET", "/readyz")
    access(logger, "GET", "/login")
    text_ = written(tmp_path, logger)
    assert "/login" in text_ and "healthz" not in text_ and "readyz" not in text_
