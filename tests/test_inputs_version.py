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
        db.session.commit()
        seen = [_version(acme.id)]
        db.session.add(Person(tenant_id=acme.id, employee_no="E1", name="张三", team_id=team.id))
        db.session.commit()  # an ORM insert
        seen.append(_version(acme.id))
        db.session.execute(
            text("UPDATE person SET name = name || '二' WHERE tenant_id = :t"), {"t": acme.id}
        )
        db.session.commit()  # a raw SQL update
        seen.append(_version(acme.id))
        db.session.execute(
            text("INSERT INTO team (tenant_id, name, kind) VALUES (:t, :n, 'group')"),
            [{"t": acme.id, "n": f"组{i}"} for i in range(30)],
        )
        db.session.commit()  # a bulk insert
        seen.append(_version(acme.id))
        db.session.execute(
            text("DELETE FROM team WHERE tenant_id = :t AND name LIKE '组%'"), {"t": acme.id}
        )
        db.session.commit()
        seen.append(_version(acme.id))
        assert "none" not in seen and len(set(seen)) == len(seen), seen
        assert not any("own" in v for v in seen)  # read outside a writing transaction
    with bound_tenant(other.id):
        assert _version(other.id) == other_before


def test_inside_a_writing_transaction_the_version_is_never_shared(app, make_tenant):
    """PostgreSQL renews the token once per transaction, so a transaction that wrote
    inputs reads a version of its own each time: an estimate calculated there cannot
    be served to anyone else, nor to itself after its next write."""
    acme = make_tenant("acme")
    with bound_tenant(acme.id):
        db.session.add(Team(tenant_id=acme.id, name="华东"))
        db.session.commit()
        before = _version(acme.id)
        db.session.execute(text("UPDATE team SET name = 'a' WHERE tenant_id = :t"), {"t": acme.id})
        first = _version(acme.id)
        db.session.execute(text("UPDATE team SET name = 'b' WHERE tenant_id = :t"), {"t": acme.id})
        second = _version(acme.id)
        assert len({before, first, second}) == 3
        if db.engine.dialect.name == "postgresql":
            assert "own" in first and "own" in second
        db.session.commit()
        assert "own" not in _version(acme.id) and _version(acme.id) != before


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


def test_postgresql_renews_once_per_transaction_sqlite_per_row(app, make_tenant):
    acme = make_tenant("acme")
    with bound_tenant(acme.id):
        db.session.add(Team(tenant_id=acme.id, name="华东"))
        db.session.commit()
        changes = lambda: int(_version(acme.id).split(":")[0])  # noqa: E731
        before = changes()
        for prefix in ("g", "h"):  # two statements, three rows each
            db.session.execute(
                text(
                    "INSERT INTO team (tenant_id, name, kind) SELECT :t, :p || n, 'group' "
                    "FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) s"
                ),
                {"t": acme.id, "p": prefix},
            )
        db.session.commit()
        step = changes() - before
    # PostgreSQL renews the token once per writing transaction, at its commit
    # (inputs_pending); SQLite's row triggers at each of the six rows
    assert step == (1 if db.engine.dialect.name == "postgresql" else 6)
