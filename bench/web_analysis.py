"""The analysis paragraph of bench/RESULTS-web.md (kept apart so web.py stays short)."""

ANALYSIS = """## Where the time goes

- **The company part of the estimate, once per inputs version.** Pools, the mentor
  award and a manager's roll-up pay one person according to everyone else, so an
  estimate needs every active plan calculated over the company:
  ``jili.incentives.services.estimates`` does it once per *inputs stamp* and keeps it
  in the worker's memory (an LRU of 8 tenant-periods). The **first** column is that
  calculation (building the facts and the six plans); each gunicorn worker pays it once
  per change of the inputs.
- **The stamp is one row read.** The database renews a company's ``inputs_version``
  token on every write to an input table (triggers, migration 0023: per row on SQLite,
  once per transaction on PostgreSQL), so a request reads that row and the plans and
  budget policy it reads anyway — no aggregate over the people, targets or credits.
- **Manager views.** The team's payout sums the cached per-person amounts, the ranking
  reads the cached facts, region and product line sum the cached slices; the alert
  lists show the 20 lowest and link to the whole list, 50 a page. What is left is
  loading the team's people (2,500 rows for a region) and rendering.
- **Simulator.** After the first request of a period the company's facts come from the
  same cache. The first simulator request of a stamp prepares each plan's company part
  once (``jili.incentives.services.sim_company``: the facts narrowed to the plan and the
  scheme's ``prepare_one_person`` — a pool keeps its other members' weights, the mentor
  award what mentees bring their mentor); each point of a curve then pays one changed
  person instead of recalculating 10,000 people, and a person's curve is cached per
  stamp. The figures of that part alone are under "Simulator (h2 run)"
  (``python bench/web.py --only simulator``)."""
