"""The inputs version (migration 0023): the database renews a company's token on every
write to an input an estimate reads — through the ORM or raw SQL, one row or a bulk
statement — and only that company's; a rolled-back write leaves the old token."""

from __future__ import annotations

from sqlalchemy import text

from jili import dbobjects
from jili.extensions import db
from jili.incentives.services.estimates import inputs_version
from jili.org.models import Person, Team
from jili.tenancy import bound_tenant


def _version(tenant_id: int) -> str:
    return inputs_version(tenant_id)


def test_every_input_table_has_its_three_triggers(app):
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            names = set(conn.scalars(text("select name from sqlite_master where type = 'trigger'")))
        else:
            names = set(
                conn.scalars(
                    text(
                        "select tgname from pg_trigger where not tgisinternal "
                        "and tgfoid = 'jili_inputs_changed'::regproc"
                    )
                )
            )
    wanted = {f"{t}_inputs_{op}" for t in dbobjects.INPUT_TABLES for op in ("ins", "upd", "del")}
    assert wanted <= names, sorted(wanted - names)
    assert set(dbobjects.INPUT_TABLES) <= set(db.metadata.tables)


def test_orm_and_raw_sql_writes_renew_the_token_of_their_company_only(app, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    with bound_tenant(other.id):
        db.session.add(Team(tenant_id=other.id, name="别家"))
        db.session.commit()
        other_before = _version(other.id)
    with bound_tenant(acme.id):
        assert _version(acme.id) == "none"  # nothing written yet
        team = Team(tenant_id=acme.id, name="华东")
        db.session.add(team)
        db.session.flush()
        seen = [_version(acme.id)]
        db.session.add(Person(tenant_id=acme.id, employee_no="E1", name="张三", team_id=team.id))
        db.session.commit()  # an ORM insert
        seen.append(_version(acme.id))
        db.session.execute(
            text("UPDATE person SET name = name || '二' WHERE tenant_id = :t"), {"t": acme.id}
        )
        seen.append(_version(acme.id))  # raw SQL update, visible in its own transaction
        db.session.execute(
            text("INSERT INTO team (tenant_id, name, kind) VALUES (:t, :n, 'group')"),
            [{"t": acme.id, "n": f"组{i}"} for i in range(30)],
        )
        seen.append(_version(acme.id))  # a bulk insert
        db.session.execute(
            text("DELETE FROM team WHERE tenant_id = :t AND name LIKE '组%'"), {"t": acme.id}
        )
        seen.append(_version(acme.id))
        db.session.commit()
        assert "none" not in seen and len(set(seen)) == len(seen), seen
    with bound_tenant(other.id):
        assert _version(other.id) == other_before


def test_a_rolled_back_write_leaves_the_token_it_found(app, make_tenant):
    acme = make_tenant("acme")
    with bound_tenant(acme.id):
        db.session.add(Team(tenant_id=acme.id, name="华东"))
        db.session.commit()
        before = _version(acme.id)
        db.session.execute(text("UPDATE team SET name = 'x' WHERE tenant_id = :t"), {"t": acme.id})
        assert _version(acme.id) != before
        db.session.rollback()
        assert _version(acme.id) == before


def test_postgresql_renews_once_per_statement_not_per_row(app, make_tenant):
    acme = make_tenant("acme")
    with bound_tenant(acme.id):
        db.session.add(Team(tenant_id=acme.id, name="华东"))
        db.session.commit()
        changes = lambda: int(_version(acme.id).split(":")[0])  # noqa: E731
        before = changes()
        db.session.execute(
            text(
                "INSERT INTO team (tenant_id, name, kind) SELECT :t, 'g' || n, 'group' "
                "FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) s"
            ),
            {"t": acme.id},
        )
        step = changes() - before
        db.session.rollback()
    # one statement, three rows: PostgreSQL's statement trigger bumps once, SQLite's
    # row triggers three times
    assert step == (1 if db.engine.dialect.name == "postgresql" else 3)
