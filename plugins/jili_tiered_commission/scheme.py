"""Tiered commission: the rate rises with attainment (DOMAIN.md §3).

Two modes, the tenant chooses:

- *whole-amount* (全额累进): the rate of the band reached applies to all of
  the basis — target 500,000, sales 650,000 (130 %), bands 0–120 % 1.2 %,
  ≥ 120 % 1.8 %: 650,000 × 1.8 % = 11,700.00;
- *marginal* (超额累进): each slice of the basis at its own band's rate —
  600,000 × 1.2 % + 50,000 × 1.8 % = 8,100.00.

The basis is booked revenue, collected cash or margin, measured against the
target on the same basis. An optional attainment cap stops the basis counting
beyond cap × target. Region and product coefficients scale the payout (not
the attainment) by the person's mix of sales. A negative basis (refunds above
sales) claws back at the first band's rate. Rates may not fall from one band
to the next, so more attainment never pays less.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    N_,
    BandsField,
    Basis,
    CalculationContext,
    ChoiceField,
    DecimalMapField,
    Explanation,
    Fact,
    OptionalDecimalField,
    PercentField,
    PeriodFacts,
    PersonFacts,
    SchemeType,
    Settings,
    Step,
    band_for_ratio,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    make_bands,
    step_message,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)

BASIS_CHOICES = (
    (Basis.BOOKED.value, _l("Booked revenue")),
    (Basis.COLLECTED.value, _l("Collected cash")),
    (Basis.MARGIN.value, _l("Margin")),
)
BASIS_WORDS = {
    Basis.BOOKED: N_("booked revenue"),
    Basis.COLLECTED: N_("collected cash"),
    Basis.MARGIN: N_("margin"),
}
MODE_WORDS = {"whole": N_("whole amount"), "marginal": N_("marginal")}
# Arithmetic steps with words (translated when read; see jili.schemes.Step).
CAP_STEP = step_message(N_("cap %(cap)s × %(target)s = %(counted)s counted"))
COEFFICIENT_STEP = step_message(
    N_("× coefficient %(coefficient)s (region × product mix %(weighted)s / %(plain)s) = %(scaled)s")
)


class TieredCommission(SchemeType):
    """Commission at a rate that rises with attainment, whole-amount or marginal."""

    key = "tiered_commission"
    label = _l("Tiered commission")
    description = _l("A commission rate that rises with attainment (阶梯提成).")
    facts_needed = frozenset({Fact.SALES, Fact.TARGETS, Fact.SALES_SLICES})
    per_person = True
    settings_fields = (
        ChoiceField(
            "mode",
            _l("Mode"),
            choices=(
                ("whole", _l("Whole amount (全额累进): the band reached applies to all sales")),
                ("marginal", _l("Marginal (超额累进): each slice at its own band's rate")),
            ),
            default="whole",
        ),
        ChoiceField("basis", _l("Basis"), choices=BASIS_CHOICES, default=Basis.BOOKED.value),
        BandsField(
            "bands",
            _l("Bands by attainment"),
            value_field=PercentField("rate_pct", _l("Rate (%)"), minimum=ZERO, maximum=HUNDRED),
            rising=True,
            default=[{"from_pct": "0", "rate_pct": "1.2"}, {"from_pct": "120", "rate_pct": "1.8"}],
            help_text=_l(
                "A band from 120 covers attainment from 120 %, inclusive, up to the next band."
            ),
        ),
        OptionalDecimalField(
            "attainment_cap_pct",
            _l("Attainment cap (%)"),
            minimum=Decimal(1),
            default=None,
            help_text=_l("Sales beyond this attainment earn no commission. Empty: no cap."),
        ),
        DecimalMapField("region_coefficients", _l("Region coefficients"), minimum=ZERO, default={}),
        DecimalMapField(
            "product_coefficients", _l("Product line coefficients"), minimum=ZERO, default={}
        ),
    )

    @classmethod
    def facts_for(cls, settings):
        """Sales by region and product line only when a coefficient is set."""
        if settings.get("region_coefficients") or settings.get("product_coefficients"):
            return cls.facts_needed
        return cls.facts_needed - {Fact.SALES_SLICES}

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """One line per person who has a target or a basis amount."""
        s = cls.load_settings(settings)
        basis = Basis(s.basis)
        bands = make_bands(s.bands, "rate_pct")
        lines = []
        for person in facts.people_sorted():
            amount, target = person.amount(basis), person.target_for(basis)
            if target is None and amount == 0:
                lines.append(cls._nothing(person, basis, context))
                continue
            lines.append(cls._line(person, amount, target, basis, bands, s, context))
        return lines

    @classmethod
    def _nothing(cls, person, basis, context):
        """The 0.00 line of a person with neither a target nor sales."""
        explanation = Explanation(
            N_("No target and no sales (%(basis)s) in the period: nothing to pay."),
            {},
            {"basis": BASIS_WORDS[basis]},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person.person_id, ZERO, explanation)

    @classmethod
    def _line(cls, person, amount, target, basis, bands, s: Settings, context):
        places = context.places
        inputs = {
            "basis_amount": fmt_money(amount, places),
            "target": fmt_money(target, places) if target else "—",
            "attainment": fmt_ratio(amount / target) if target and target > 0 else "—",
        }
        steps: list[str] = []
        has_target = target is not None and target > 0
        counted = amount
        if has_target and s.attainment_cap_pct is not None:
            cap_amount = target * s.attainment_cap_pct / HUNDRED
            if amount > cap_amount:
                counted = cap_amount
                steps.append(
                    Step(
                        CAP_STEP,
                        cap=fmt_pct(s.attainment_cap_pct),
                        target=fmt_money(target, places),
                        counted=fmt_money(cap_amount, places),
                    )
                )
        if counted < 0 or not has_target:
            band = bands[0]
            commission = counted * band.value / HUNDRED
            steps.append(
                f"{fmt_money(counted, places)} × {fmt_pct(band.value)} = "
                f"{fmt_money(commission, places)}"
            )
            rule = {"band": band.describe(), "mode": MODE_WORDS[s.mode]}
            message = (
                N_("No target: sales (%(basis)s) %(basis_amount)s at the first band's rate.")
                if not has_target
                else N_(
                    "Refunds exceed sales: %(basis)s %(basis_amount)s is clawed back "
                    "at the first band's rate."
                )
            )
        elif s.mode == "whole":
            band = band_for_ratio(bands, counted, target)
            commission = counted * band.value / HUNDRED
            steps.append(
                f"{fmt_money(counted, places)} × {fmt_pct(band.value)} = "
                f"{fmt_money(commission, places)}"
            )
            rule = {"band": band.describe(), "mode": MODE_WORDS["whole"]}
            message = N_(
                "Sales (%(basis)s) %(basis_amount)s against target %(target)s (%(attainment)s) "
                "reach band %(band)s; its rate applies to the whole amount."
            )
        else:
            commission, parts = _marginal(counted, target, bands, places)
            steps.append(" + ".join(parts) + f" = {fmt_money(commission, places)}")
            top = band_for_ratio(bands, counted, target)
            rule = {"band": top.describe(), "mode": MODE_WORDS["marginal"]}
            message = N_(
                "Sales (%(basis)s) %(basis_amount)s against target %(target)s (%(attainment)s): "
                "each slice at its own band's rate, up to band %(band)s."
            )
        commission = _apply_coefficients(commission, person, basis, s, steps, places)
        rule["basis"] = BASIS_WORDS[basis]
        paying = next((b for b in bands if b.value > 0), None)
        if has_target and commission == 0 and paying is not None and counted >= 0:
            if counted * HUNDRED < paying.from_pct * target:
                # Zero is explained: "attainment 78 % is below the first paying band, 80 %".
                message = N_(
                    "Attainment %(attainment)s (%(basis)s %(basis_amount)s against target "
                    "%(target)s) is below the first paying band, %(first_band)s: nothing to pay."
                )
                rule["first_band"] = fmt_pct(paying.from_pct)
        explanation = Explanation(message, inputs, rule, tuple(steps))
        return cls.line(context, person.person_id, commission, explanation)


def _marginal(counted: Decimal, target: Decimal, bands, places: int) -> tuple[Decimal, list[str]]:
    """Σ over bands of (the part of ``counted`` inside the band) × its rate."""
    total, parts = ZERO, []
    for band in bands:
        lower = target * band.from_pct / HUNDRED
        upper = (
            counted if band.until_pct is None else min(counted, target * band.until_pct / HUNDRED)
        )
        slice_amount = upper - lower
        if slice_amount <= 0:
            break
        total += slice_amount * band.value / HUNDRED
        parts.append(f"{fmt_money(slice_amount, places)} × {fmt_pct(band.value)}")
    return total, parts or [f"{fmt_money(ZERO, places)}"]


def _apply_coefficients(
    commission: Decimal, person: PersonFacts, basis: Basis, s: Settings, steps, places
) -> Decimal:
    """Scale by the person's sales mix: Σ slice × region × product coefficient /
    Σ slice. No coefficients configured, or no slices: unchanged."""
    if not (s.region_coefficients or s.product_coefficients) or not person.slices:
        return commission
    weighted = plain = ZERO
    regions, products = s.region_coefficients, s.product_coefficients  # read once per person
    for piece in person.slices:
        value = piece.amount(basis)
        weighted += value * regions.get(piece.region, ONE) * products.get(piece.product_line, ONE)
        plain += value
    if plain == 0 or weighted == plain:
        return commission
    scaled = commission * weighted / plain
    steps.append(
        Step(
            COEFFICIENT_STEP,
            coefficient=fmt_number((weighted / plain).quantize(Decimal("0.0001"))),
            weighted=fmt_money(weighted, places),
            plain=fmt_money(plain, places),
            scaled=fmt_money(scaled, places),
        )
    )
    return scaled
