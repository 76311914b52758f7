"""What the tenant file tests share: the demo file, a rich tenant file with what
the demo lacks, and small helpers (plain functions; the app fixture is the test's)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from jili import ROOT
from jili.extensions import db
from jili.models import Tenant
from jili.plan_as_code.importer import import_tenant, read_toml

SHILI = Path(ROOT) / "tenants" / "shili.toml"

# A tenant with what the demo lacks: a fiscal year from April in TWD, ISO weeks,
# a budget, a disabled scheme, eligibility by team and level, settings holding
# person ids, a team metric and a lower-is-better one, three-way split credits
# that do not divide evenly, and a refund.
RICH = """
format = 1

[tenant]
name = "信義測試貿易"
slug = "rich"
currency = "TWD"
locale = "zh_Hant"
timezone = "Asia/Taipei"
fiscal_year_start_month = 4
years = [2024]
plan_self_approval = true

[periods]
weeks_of = ["2024-M04"]

[schemes]
enabled = ["excess_pool", "profit_sharing", "tiered_commission"]
disabled = ["mentor_award"]

[budget]
month = { amount = "500000.00" }
quarter = { amount = "1500000.00", pct_of_revenue = "8.5" }
year = { pct_of_revenue = "7" }
rule = "priority"
release_from_attainment_pct = "150"
release_pct = "10"

[[teams]]
name = "北區"
kind = "region"

[[teams]]
name = "台北一課"
parent = "北區"

[[teams]]
name = "台北二課"
parent = "北區"

[[people]]
employee_no = "R001"
name = "黃雅婷"
level = "manager"
team = "北區"
hire_date = 2017-09-01
base_salary = "62000.00"

[[people]]
employee_no = "R002"
name = "吳承恩"
team = "台北一課"
manager = "R001"
hire_date = "2022-02-14"
base_salary = "42000"

[[people]]
employee_no = "R003"
name = "陳怡君"
team = "台北一課"
manager = "R001"
base_salary = 40000

[[people]]
employee_no = "R004"
name = "林冠宇"
level = "newcomer"
team = "台北二課"
manager = "R001"
mentor = "R002"
hire_date = 2024-06-03

[[plans]]
name = "提成"
scheme = "tiered_commission"

[[plans.versions]]
number = 1
effective = "2024-Q1"
eligibility = { teams = ["北區"], levels = ["core"] }
settings = { mode = "whole" }

[[plans.versions]]
number = 2
effective = "2024-Q2"
note = "marginal from Q2"
eligibility = { teams = ["北區"], levels = ["core", "newcomer"] }

[plans.versions.settings]
mode = "marginal"
basis = "collected"
bands = [{ from_pct = "0", rate_pct = "1" }, { from_pct = "100", rate_pct = "2.5" }]
attainment_cap_pct = "200"
region_coefficients = { "台北" = "1.1" }

[[plans.versions]]
number = 3
effective = "2024-Q2"
pilot = true
pilot_teams = ["台北二課"]
settings = { mode = "whole", attainment_cap_pct = "" }

[[plans.versions]]
number = 4
effective = "2024-Q3"
approval = "rejected"
reason = "too generous"
settings = { mode = "whole" }

[[plans.versions]]
number = 5
effective = "2024-Q3"
note = "awaiting the owner"
approval = "proposed"
settings = { mode = "marginal" }

[[plans]]
name = "分紅"
scheme = "profit_sharing"
priority = 5

[[plans.versions]]
number = 1
effective = "2024"

[plans.versions.settings]
pool_pct = "1.5"
people = ["R003", "R001"]
weights = "equal"

[[target_metrics]]
code = "leads"
name = "有效線索"
unit = "條"
kind = "count"
source = "entered"

[[target_metrics]]
code = "complaints"
name = "客訴"
kind = "count"
higher_is_better = false
source = "entered"

[[target_metrics]]
code = "star_revenue"
name = "明星產品營收"
kind = "money"
source = "transactions"
measure = "amount"
product_line = "智慧門鎖"

[[targets]]
period = "2024-Q2"
person = "R002"
revenue = "300000"
collected = "250000.00"
margin = "90000"
deals = "12"
leads = "40"
challenge = { revenue = "390000", leads = "50" }

[[targets]]
period = "2024-Q2"
team = "台北一課"
revenue = "600000"

[[targets]]
period = "2024-M04-W27"
person = "R003"
revenue = "50000"

[[target_publications]]
period = "2024-Q2"
status = "published"
version = 3
accepted_difference = "新人下月到職"

[[metrics]]
period = "2024-Q2"
person = "R002"
metric = "客訴率"
weight = "20"
actual = "0.5"
target = "1"
higher_is_better = false

[[metrics]]
period = "2024-Q2"
team = "台北一課"
metric = "collaboration"
actual = "87.5"

[[profit]]
period = "2024"
amount = "9000000"

[[awards]]
period = "2024-Q2"
person = "R003"
kind = "strategic_client"
amount = "8000"
reason = "簽下台積電供應鏈"
approved_by = "黃雅婷"

[[transactions]]
external_id = "T-1"
deal_date = 2024-07-03
employee_no = "R002"
customer = "大同"
region = "台北"
amount = "100000"
collected_amount = "100000"
margin = "30000"
credits = "R002:33.33;R003:33.33;R004:33.34"
new_customer = true

[[transactions]]
external_id = "T-2"
deal_date = 2024-07-09
employee_no = "R003"
amount = "55555.55"
credits = "R004:100"
strategic = true

[[transactions]]
external_id = "T-1R"
deal_date = 2024-08-01
employee_no = "R002"
customer = "大同"
region = "台北"
amount = "-20000"
collected_amount = "-20000"
margin = "-6000"
credits = "R002:33.33;R003:33.33;R004:33.34"
"""


def tenant_by_slug(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def import_text(text: str, **kw) -> Tenant:
    """Import a tenant file given as TOML text."""
    return import_tenant(read_toml(text), **kw)
