"""Incentive schemes: the pure calculation heart of Jili.

No database and no web here. A scheme plugin returns ``SchemeType``
subclasses from the ``jili_scheme_types`` hook; the engine builds
``PeriodFacts`` for a period and calls each enabled plan's
``calculate(facts, settings, context)``, which returns ``PayoutLine`` objects
with their ``Explanation``. See docs/PLUGINS.md.
"""

from jili.schemes.bands import Band, band_for_percent, band_for_ratio, make_bands
from jili.schemes.base import CalculationContext, SchemeInputError, SchemeType, check_scheme_type
from jili.schemes.budget import BudgetOutcome, BudgetPolicy, BudgetRule, apply_budget
from jili.schemes.facts import (
    Basis,
    Fact,
    OneOffAward,
    PeriodFacts,
    PeriodInfo,
    PersonFacts,
    SalesSlice,
    TeamFacts,
    add_months,
    attainment,
)
from jili.schemes.kpi import KpiResult, kpi_score, kpi_total_score
from jili.schemes.lines import (
    N_,
    Explanation,
    PayoutLine,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    quantize,
)
from jili.schemes.registry import (
    BUILTIN_PLUGINS,
    ENTRY_POINT_GROUP,
    JiliPluginManager,
    SchemeOrigin,
    SchemeRegistrationError,
    SchemeRegistry,
    available_schemes,
    get_registry,
    make_plugin_manager,
)
from jili.schemes.settings import (
    LEVELS,
    BandsField,
    BoolField,
    ChoiceField,
    DecimalField,
    DecimalMapField,
    Field,
    IdListField,
    IntField,
    OptionalDecimalField,
    PercentField,
    RecordListField,
    Settings,
    SettingsError,
    StrListField,
    TextField,
)
from jili.schemes.split import exact_shares, split_largest_remainder

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "N_",
    "Band",
    "BandsField",
    "Basis",
    "BoolField",
    "BudgetOutcome",
    "BudgetPolicy",
    "BudgetRule",
    "CalculationContext",
    "ChoiceField",
    "DecimalField",
    "DecimalMapField",
    "Explanation",
    "Fact",
    "LEVELS",
    "Field",
    "IdListField",
    "IntField",
    "JiliPluginManager",
    "KpiResult",
    "OneOffAward",
    "OptionalDecimalField",
    "PayoutLine",
    "PercentField",
    "PeriodFacts",
    "PeriodInfo",
    "PersonFacts",
    "RecordListField",
    "SalesSlice",
    "SchemeInputError",
    "SchemeOrigin",
    "SchemeRegistrationError",
    "SchemeRegistry",
    "SchemeType",
    "Settings",
    "SettingsError",
    "StrListField",
    "TeamFacts",
    "TextField",
    "add_months",
    "apply_budget",
    "attainment",
    "available_schemes",
    "band_for_percent",
    "band_for_ratio",
    "check_scheme_type",
    "exact_shares",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "fmt_ratio",
    "get_registry",
    "kpi_score",
    "kpi_total_score",
    "make_bands",
    "make_plugin_manager",
    "quantize",
    "split_largest_remainder",
]
