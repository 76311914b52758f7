"""The metrics targets can be set on: the built-ins and the company's own."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.extensions import db
from jili.targets.forms import MetricForm
from jili.targets.models import ActualSource, MetricKind, TargetMetric
from jili.targets.services.metrics import MetricError, catalog, save_metric
from jili.web import bp


@bp.route("/targets/metrics", methods=["GET", "POST"])
@bp.route("/targets/metrics/<int:metric_id>", methods=["GET", "POST"])
@require("targets.metrics")
def target_metrics(metric_id: int | None = None):
    metric = None
    if metric_id is not None:
        metric = db.session.get(TargetMetric, metric_id)
        if metric is None or metric.tenant_id != g.tenant.id:
            abort(404)
    form = MetricForm(obj=metric)
    if metric is not None:
        form.code.render_kw = {"readonly": True}
    if form.validate_on_submit():
        values = {
            "code": metric.code if metric else form.code.data,
            "name": form.name.data.strip(),
            "unit": (form.unit.data or "").strip(),
            "kind": MetricKind(form.kind.data),
            "higher_is_better": bool(form.higher_is_better.data),
            "source": ActualSource(form.source.data),
            "measure": form.measure.data or "",
            "product_line": (form.product_line.data or "").strip(),
            "region": (form.region.data or "").strip(),
        }
        try:
            save_metric(g.tenant.id, values, metric)
            db.session.commit()
            flash(_("Metric %(name)s saved.", name=values["name"]), "success")
            return redirect(url_for("tenant.target_metrics"))
        except MetricError as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, str(exc)]
    return render_template(
        "targets/metrics.html",
        form=form,
        metric=metric,
        metrics=catalog(g.tenant.id),
        own={m.code: m for m in db.session.query(TargetMetric).filter_by(tenant_id=g.tenant.id)},
    )
