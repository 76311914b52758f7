"""The KPI library, levels, the KPI set of each level (with the weight-mix
warning), copying a set to a client company, and the rating bands."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.accounts.services import user_tenants
from jili.evaluation.forms import (
    CATEGORY_LABELS,
    DIRECTION_LABELS,
    SOURCE_LABELS,
    CopyForm,
    KpiForm,
    LevelForm,
    PersonLevelForm,
    SetForm,
)
from jili.evaluation.models import Kpi, KpiCategory, KpiSource
from jili.evaluation.services import library, ratings
from jili.evaluation.services.library import EvaluationError
from jili.evaluation.views._common import number
from jili.extensions import db
from jili.org.models import Person
from jili.web import bp
from jili.web._helpers import saved

LABELS = {
    "category_labels": CATEGORY_LABELS,
    "source_labels": SOURCE_LABELS,
    "direction_labels": DIRECTION_LABELS,
}


def _library_context(form: KpiForm, level_form: LevelForm) -> dict:
    tid = g.tenant.id
    sets = library.kpi_sets(tid)
    mixes = {}
    for level, kpi_set in sets.items():
        pairs = library.set_items(kpi_set)
        mixes[level] = (pairs, library.weight_mix([(k, i.weight) for i, k in pairs]))
    return {
        "kpis": library.kpis(tid),
        "levels": library.levels(tid),
        "sets": sets,
        "mixes": mixes,
        "form": form,
        "level_form": level_form,
        **LABELS,
    }


def _kpi_values(form: KpiForm) -> dict:
    return {
        "code": form.code.data.strip(),
        "name": form.name.data.strip(),
        "category": KpiCategory(form.category.data),
        "unit": (form.unit.data or "").strip(),
        "higher_is_better": form.direction.data == "1",
        "formula": (form.formula.data or "").strip(),
        "source": KpiSource(form.source.data),
        "default_target": number(form.default_target.data, _("Default target"), minimum=0),
        "cap": number(form.cap.data, _("Score cap"), "weight", minimum=Decimal(1)),
    }


def _save_kpi(form: KpiForm, kpi: Kpi | None) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        values = _kpi_values(form)
        if values["cap"] is None:
            raise EvaluationError(_("Give a score cap, e.g. 100."))
        library.save_kpi(g.tenant.id, kpi, values)
    except EvaluationError as exc:
        db.session.rollback()
        form.code.errors = [*form.code.errors, str(exc)]
        return False
    db.session.commit()
    flash(_("KPI %(name)s saved.", name=values["name"]), "success")
    return True


@bp.route("/kpis", methods=["GET", "POST"])
@require("kpis.view")
def kpis():
    form = KpiForm()
    if request.method == "POST":
        if not can("kpis.edit"):
            abort(403)
        if _save_kpi(form, None):
            return saved(
                url_for("tenant.kpis"),
                "evaluation/library.html",
                **_library_context(KpiForm(formdata=None), LevelForm(formdata=None)),
            )
        return render_template(
            "evaluation/library.html", **_library_context(form, LevelForm(formdata=None))
        ), 422
    return render_template("evaluation/library.html", **_library_context(form, LevelForm()))


@bp.route("/kpis/<int:kpi_id>", methods=["GET", "POST"])
@require("kpis.edit")
def kpi_edit(kpi_id: int):
    kpi = library.get_kpi(g.tenant.id, kpi_id) or abort(404)
    form = KpiForm(obj=kpi) if request.method == "GET" else KpiForm()
    if request.method == "GET":
        form.direction.data = "1" if kpi.higher_is_better else "0"
        form.category.data = kpi.category.value
        form.source.data = kpi.source.value
        form.default_target.data = "" if kpi.default_target is None else str(kpi.default_target)
        form.cap.data = str(kpi.cap)
    elif _save_kpi(form, kpi):
        return saved(
            url_for("tenant.kpis"),
            "evaluation/library.html",
            **_library_context(KpiForm(formdata=None), LevelForm(formdata=None)),
        )
    status = 422 if request.method == "POST" else 200
    return render_template("evaluation/kpi_edit.html", form=form, kpi=kpi), status


@bp.route("/kpis/levels", methods=["POST"])
@require("kpis.edit")
def kpi_level_new():
    form = LevelForm()
    if form.validate_on_submit():
        try:
            library.add_level(g.tenant.id, form.code.data.strip(), form.name.data.strip())
        except EvaluationError as exc:
            db.session.rollback()
            form.code.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Level %(name)s added.", name=form.name.data.strip()), "success")
            return saved(
                url_for("tenant.kpis"),
                "evaluation/library.html",
                **_library_context(KpiForm(formdata=None), LevelForm(formdata=None)),
            )
    return render_template(
        "evaluation/library.html", **_library_context(KpiForm(formdata=None), form)
    ), 422


def _set_items(all_kpis: list[Kpi]) -> list[tuple[int, Decimal, Decimal | None]]:
    items = []
    for kpi in all_kpis:
        weight = number(request.form.get(f"weight_{kpi.id}"), kpi.name, "weight", minimum=0)
        target = number(request.form.get(f"target_{kpi.id}"), kpi.name, minimum=0)
        if weight:
            items.append((kpi.id, weight, target))
    return items


def _copy_choices() -> list[tuple[int, str]]:
    return [
        (t.id, t.name)
        for t, role in user_tenants(current_user)
        if t.id != g.tenant.id and not t.is_suspended and can("kpis.edit", role)
    ]


@bp.route("/kpi-sets/<level>", methods=["GET", "POST"])
@require("kpis.view")
def kpi_set(level: str):
    tid = g.tenant.id
    names = dict(library.levels(tid))
    if level not in names:
        abort(404)
    current = library.kpi_sets(tid).get(level)
    form = SetForm()
    error = None
    if request.method == "POST":
        if not can("kpis.edit"):
            abort(403)
        if form.validate_on_submit():
            try:
                items = _set_items(library.kpis(tid))
                current = library.save_set(tid, level, (form.name.data or "").strip(), items)
            except EvaluationError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("KPI set of %(level)s saved.", level=names[level]), "success")
                return saved(
                    url_for("tenant.kpi_set", level=level),
                    "evaluation/kpi_set.html",
                    **_set_context(level, names, library.kpi_sets(tid).get(level)),
                )
    elif current is not None:
        form.name.data = current.name
    ctx = _set_context(level, names, current, form)
    return render_template("evaluation/kpi_set.html", error=error, **ctx), (422 if error else 200)


def _set_context(level, names, current, form=None) -> dict:
    pairs = library.set_items(current) if current is not None else []
    chosen = {k.id: i for i, k in pairs}
    copy_form = CopyForm(formdata=None)
    copy_form.tenant_id.choices = _copy_choices() if can("kpis.edit") else []
    if form is None:
        form = SetForm(formdata=None, name=current.name if current else "")
    return {
        "level": level,
        "level_name": names[level],
        "kpi_set": current,
        "kpis": library.kpis(g.tenant.id),
        "chosen": chosen,
        "mix": library.weight_mix([(k, i.weight) for i, k in pairs]),
        "form": form,
        "copy_form": copy_form,
        "people_form": PersonLevelForm(formdata=None),
        "people": _people_at(level),
        **LABELS,
    }


def _people_at(level: str) -> list[Person]:
    at = library.person_levels(g.tenant.id)
    ids = sorted(pid for pid, code in at.items() if code == level)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Person)
            .where(Person.tenant_id == g.tenant.id, Person.id.in_(ids))
            .order_by(Person.employee_no)
        )
    )


@bp.route("/kpi-sets/<level>/people", methods=["POST"])
@require("kpis.edit")
def kpi_set_people(level: str):
    names = dict(library.levels(g.tenant.id))
    if level not in names:
        abort(404)
    form = PersonLevelForm()
    if form.validate_on_submit():
        no = form.employee_no.data.strip()
        person = db.session.scalar(
            select(Person).where(Person.tenant_id == g.tenant.id, Person.employee_no == no)
        )
        if person is None:
            flash(_("No one has the employee number %(no)s.", no=no), "error")
        else:
            library.set_person_level(g.tenant.id, person, level)
            db.session.commit()
            flash(
                _("%(name)s is now evaluated as %(level)s.", name=person.name, level=names[level]),
                "success",
            )
    current = library.kpi_sets(g.tenant.id).get(level)
    return saved(
        url_for("tenant.kpi_set", level=level),
        "evaluation/kpi_set.html",
        **_set_context(level, names, current),
    )


@bp.route("/kpi-sets/<level>/copy", methods=["POST"])
@require("kpis.edit")
def kpi_set_copy(level: str):
    current = library.kpi_sets(g.tenant.id).get(level) or abort(404)
    form = CopyForm()
    choices = _copy_choices()
    form.tenant_id.choices = choices
    if not form.validate_on_submit():
        abort(400)
    name = dict(choices)[form.tenant_id.data]
    try:
        library.copy_set(current, form.tenant_id.data)
    except EvaluationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("KPI set copied to %(company)s.", company=name), "success")
    return saved(
        url_for("tenant.kpi_set", level=level),
        "evaluation/kpi_set.html",
        **_set_context(level, dict(library.levels(g.tenant.id)), current),
    )


@bp.route("/rating-bands", methods=["GET", "POST"])
@require("kpis.edit")
def rating_bands():
    tid = g.tenant.id
    error = None
    if request.method == "POST":
        try:
            rows = []
            for i in range(8):
                label = (request.form.get(f"label_{i}") or "").strip()[:8]
                if not label:
                    continue
                minimum = number(request.form.get(f"min_{i}"), label, "score", minimum=0)
                share = number(request.form.get(f"share_{i}"), label, "score", minimum=0)
                if minimum is None:
                    raise EvaluationError(_("%(label)s: give the lowest total.", label=label))
                rows.append((label, minimum, share))
            ratings.save_bands(tid, rows)
        except EvaluationError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Rating bands saved."), "success")
            return saved(
                url_for("tenant.rating_bands"),
                "evaluation/bands.html",
                bands=ratings.bands(tid),
                error=None,
            )
    page = render_template("evaluation/bands.html", bands=ratings.bands(tid), error=error)
    return page, (422 if error else 200)
