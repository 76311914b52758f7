"""Long labels in the horizontal bar charts (the period review's plans and teams,
the home pages' names): the gutter widens for them up to 40 % of the width, a
label still too long is cut with an ellipsis and keeps its whole text in a
<title>, and no label is drawn past the chart's left edge."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from jili.home.services.charts import Bar, Words, fit, gutter, hbar_chart, text_px

WORDS = Words(title="t", desc="d", x_axis="x", y_axis="y")
LONG = "华东大区重点客户季度阶梯提成激励计划（2026 版）"


def _ticks(svg: str) -> list[tuple[int, str, str]]:
    """(x, title or '', drawn text) of each y-axis label."""
    found = re.findall(
        r'<text class="y-tick" x="(\d+)"[^>]*>(?:<title>([^<]*)</title>)?([^<]*)</text>', svg
    )
    return [(int(x), unescape(title), unescape(text)) for x, title, text in found]


def test_a_long_plan_name_is_cut_with_an_ellipsis_and_titled_whole():
    svg = hbar_chart([Bar(LONG, Decimal("4.5")), Bar("提成", Decimal("3"))], WORDS, str)
    (x1, title1, text1), (x2, title2, text2) = _ticks(svg)
    assert text1.endswith("…") and title1 == LONG and LONG.startswith(text1[:-1])
    assert (title2, text2) == ("", "提成")  # a short one is whole, with no extra title
    for x, _t, text in _ticks(svg):
        assert x - text_px(text) >= 0  # nothing drawn left of the chart's edge
    assert x1 == gutter([LONG, "提成"], 480) - 8 == int(480 * Decimal("0.4")) - 8  # widened


def test_the_gutter_widens_only_as_far_as_the_labels_need():
    assert gutter(["王芳", "张伟"], 480) == 96  # short names keep the narrow gutter
    eight = "华东一组销售计划"  # eight CJK characters: 112 px, cut before at 96
    assert gutter([eight], 480) == text_px(eight) + 16
    svg = hbar_chart([Bar(eight, Decimal(1))], WORDS, str)
    assert _ticks(svg)[0][2] == eight  # whole now


def test_fit_measures_wide_and_narrow_characters():
    assert fit("Revenue plan", 200) == "Revenue plan"
    cut = fit("Key account quarterly tiered commission", 100)
    assert cut.endswith("…") and text_px(cut) <= 100
    assert text_px("激励") == 28 and text_px("ab") < text_px("激励")
