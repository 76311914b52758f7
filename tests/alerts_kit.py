"""A small company for the alert and notification tests: a manager with a team
of two, someone in another team, hr, the months of 2026, the default rules, and
attainment served from a table (the targets' progress service is not needed)."""

from __future__ import annotations

from decimal import Decimal

from jili.alerts import services as alert_services
from jili.alerts.services import evaluation as evaluate_module
from jili.extensions import db
from jili.models import Person, Team
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant


class AlertWorld:
    def __init__(self, tenant, member, monkeypatch):
        self.tenant = tenant
        self.t = tenant.id
        self.manager_user = member(tenant, "manager")
        self.staff_user = member(tenant, "staff")
        self.other_user = member(tenant, "staff")
        self.hr_user = member(tenant, "hr")
        with bound_tenant(self.t):
            generate_year(self.t, 2026, 1)
            east = Team(tenant_id=self.t, name="华东一组")
            south = Team(tenant_id=self.t, name="华南组")
            db.session.add_all([east, south])
            db.session.flush()
            self.boss = self._person("M1", "王经理", east, self.manager_user)
            self.a = self._person("E1", "张伟", east, self.staff_user, manager=self.boss)
            self.b = self._person("E2", "李娜", east, None, manager=self.boss)
            self.out = self._person("E3", "孙外队", south, self.other_user)
            alert_services.add_default_rules(self.t)
            db.session.commit()
        # attainment in per cent by (employee_no, period label); missing: no target
        self.attainment: dict[tuple[str, str], Decimal] = {}
        nos = {p.id: p.employee_no for p in (self.boss, self.a, self.b, self.out)}

        def fake(tenant_id, period, person_id, metric, today):
            return self.attainment.get((nos[person_id], period.label))

        monkeypatch.setattr(evaluate_module, "attainment_percent", fake)

    def _person(self, no, name, team, user, manager=None) -> Person:
        p = Person(
            tenant_id=self.t,
            employee_no=no,
            name=name,
            team_id=team.id,
            user_id=user.id if user else None,
            manager_id=manager.id if manager else None,
        )
        db.session.add(p)
        db.session.flush()
        return p

    def evaluate(self, today):
        with bound_tenant(self.t):
            out = alert_services.evaluate(self.t, today)
            db.session.commit()
            return out
