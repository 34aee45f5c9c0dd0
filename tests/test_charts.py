import io

import numpy as np
import pytest

from helix_gym.core import draw
from helix_gym.core.charts import SeriesChart, fit_caption

OPTIONS = [dict(), dict(gap=0, captions=2, under=1), dict(tags=1, captions=2), dict(points=True, ticks=True, under=1)]


def _series(seed: int, n: int) -> list[int]:
    return [int(v) for v in np.random.default_rng(seed).integers(0, 101, size=n)]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("n", [1, 7, 40, 70, 200])
def test_every_item_is_inside_its_row_and_found_by_index_at(options, n):
    values = _series(n, n)
    chart = SeriesChart(values, 512, **options)
    assert chart.rows * chart.per_row >= n and chart.plot_h > 0
    assert chart.plot_h >= 512 * chart.min_plot or chart.font == 6  # the band estimate of the row choice holds
    for i, v in enumerate(values):
        row = chart.row_of(i)
        x0, top, x1, base = chart.box(i, v)
        assert chart.row_top(row) <= top <= base == round(chart.baseline(row)) and 0 <= x0 <= x1 <= 512
        assert chart.index_at(chart.cx(i), chart.baseline(row) - 1) == i
        assert chart.index_at(chart.cx(i), chart.index_y(row)) == i
        _, y, text, font = chart.label_place(i)
        w, h = draw.text_size(text, font)
        assert y - h / 2 >= chart.row_top(row) + chart.tags * chart.tag_h - 1
        assert w <= chart.slot * 0.95 or n > 70  # 200 items at 512 px leave no room for readable labels
    last = chart.rows - 1
    bottom = chart.index_y(last) + chart.index_h / 2 + chart.under * chart.under_h
    assert bottom <= chart.row_top(last) + chart.row_h <= 512 + 1e-6
    assert chart.index_at(1, 1) is None


def test_rows_keep_labels_readable_at_512():
    for n in (10, 40, 70):
        chart = SeriesChart(_series(n, n), 512, gap=0, captions=2)
        assert chart.font >= 11 and chart.index_font >= 9, (n, chart.font, chart.index_font)


def test_drawing_is_deterministic_and_crosses_rows():
    values = _series(3, 50)
    chart = SeriesChart(values, 512, points=True, captions=2)
    assert chart.rows > 1

    def picture() -> bytes:
        image, pen = chart.canvas()
        chart.axes(pen)
        chart.line(pen, range(len(values)), draw.BLACK, 2)
        chart.markers(pen, draw.WHITE, draw.BLACK, enlarged=[3])
        chart.value_labels(pen, box=draw.WHITE)
        chart.index_labels(pen)
        chart.caption(pen, 0, "title")
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    assert picture() == picture()


def test_run_boxes_cover_every_row_of_a_run():
    chart = SeriesChart([5] * 60, 512, gap=0)
    boxes = chart.run_boxes(2, 57, 5)
    assert len(boxes) == chart.rows > 1
    assert boxes[0][0] == chart.box(2, 5)[0] and boxes[-1][2] == chart.box(57, 5)[2]


def test_fit_caption_drops_the_oldest_items():
    text, font = fit_caption([str(i) for i in range(200)], "chain: ", "", 300, 18, sep=" < ")
    assert text.startswith("chain: ... < ") and text.endswith("199") and font == 11
    assert draw.text_size(text, font)[0] <= 300
    assert fit_caption(["a", "b"], "x: ", ".", 300, 18) == ("x: a, b.", 18)
