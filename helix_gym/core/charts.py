"""Charts of a numeric series wrapped onto rows like lines of text, for the array tasks (bars, prices, terrain).

`SeriesChart` is the layout and the drawing in one: n values on a size x size picture, as bars (touching
or apart) or as points, split into as many rows as keep every value label readable, all rows on one scale
from zero so heights compare across rows. Per row, top to bottom: `tags` lines of step-mode tags, the value
labels, the plot (zero at its bottom), the index labels, `under` lines of step-mode text, a small gap. A
band of `captions` lines sits on top. The layout depends only on the values and the options, never on a
step-mode position, so step pictures keep every item in place and `index_at` needs no state.

Tasks draw their own overlays (water, rectangles, marks) with the geometry: `box`, `run_boxes`, `cx`, `y`,
`baseline`, `label_place`, `under_y`, `tag_y`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise

from PIL import Image, ImageDraw

from helix_gym.core import draw

LABEL_FILL = 0.85  # the layout font fits a two-digit label in this share of a slot (wider ones shrink)
LABEL_MAX = 0.9  # no label is wider than this share of its slot, so neighbouring labels never touch
# band heights in units of the value-label font: step tags, value labels, index labels, step text, gap (the
# index and step-text fonts are at most 0.9 of it)
TAG, LABEL, INDEX, UNDER, GAP = 1.4, 1.5, 1.45, 1.4, 0.5
LABEL_PAD = 2  # the clear margin kept around a point's label
MAX_ITEMS = 500  # the most items a chart shows (records with longer series are refused)
FAINT: draw.Color = (225, 225, 225)


class SeriesChart:
    """Where the n items of a series go on a size x size picture, and how they are drawn.

    Options: `points` (markers and lines instead of bars), `gap` (share of a slot left between bars; 0
    gives touching histogram bars), `captions` (lines in the top band), `tags` / `under` (lines of
    step-mode text above the value labels / under the index labels), `index_texts` (the labels under the
    axis; default 0..n-1), `ticks` (a value scale on the left with faint grid lines), `max_rows`, and
    `min_plot` (the least plot height, as a share of `size`, a row must keep).

    The row count is the fewest rows whose label font reaches `size / 32` px (or the best any row count
    gives, when none does). The font fits two-digit labels and a wider one (100) shrinks to its slot, so the
    row count also weighs the widest label: it counts as its own size + 2."""

    def __init__(self, values: Sequence[int], size: int = 512, *, points: bool = False, gap: float = 0.15,
                 captions: int = 1, tags: int = 0, under: int = 0, index_texts: Sequence[str] | None = None,
                 ticks: bool = False, max_rows: int = 6, min_plot: float = 0.12) -> None:
        self.values = tuple(values)
        self.n = max(1, len(self.values))
        self.size = size
        self.points = points
        self.index_texts = list(index_texts) if index_texts is not None else [str(i) for i in range(self.n)]
        self.low = min(0, *self.values) if self.values else 0
        self.vmax = max(1, *self.values) if self.values else 1
        self.caption_h = round(size * 0.055)
        self.band = self.caption_h * captions + round(size * 0.01)
        self.ticks = ticks
        self.tick_step = _nice_step(self.vmax - self.low)
        self.tick_font = max(9, round(size / 46))
        if ticks:
            top_tick = str(self.tick_step * (self.vmax // self.tick_step))
            self.left = draw.text_size(top_tick, self.tick_font)[0] + round(size * 0.025)
        else:
            self.left = round(size * 0.03)
        self.right = size - round(size * (0.015 if ticks else 0.03))
        self.tags, self.under, self.min_plot, self.max_rows = tags, under, min_plot, max_rows
        self._choose_rows()
        self.slot_gap = self.slot * gap / 2
        self.radius = self._radius(self.slot)
        index_widest = max(self.index_texts, key=len)
        self.index_font = draw.fit_font_size(index_widest, self.slot * 0.9, self.size, max(6, round(self.font * 0.9)))
        self.every = 1 if self.index_font >= max(8, size / 64) else 5  # index labels under every item or every 5th
        if self.every > 1:
            self.index_font = max(8, round(self.font * 0.9))
        self.under_font = draw.fit_font_size("88", self.slot * 0.9, self.size, max(6, round(self.font * 0.9)))
        self.tag_h = self.font * TAG
        self.label_h = self.font * LABEL + (self.radius + 2 if points else 0)
        self.pad = self.radius  # points on the zero line reach this far below it
        self.index_h = self.font * INDEX
        self.under_h = self.font * UNDER
        self.gap_h = self.font * GAP
        fixed = tags * self.tag_h + self.label_h + self.pad + self.index_h + under * self.under_h + self.gap_h
        self.plot_h = max(4.0, self.row_h - fixed)
        self.scale = self.plot_h / (self.vmax - self.low)

    def _choose_rows(self) -> None:
        """Rows, items per row, slot width, row height and label font (see the class docstring)."""
        width = self.right - self.left
        units = self.tags * TAG + LABEL + INDEX + self.under * UNDER + GAP
        cap = round(self.size / 26)
        widest = max((str(v) for v in set(self.values)), key=lambda t: (_size(t, 40)[0], t), default="0")
        fonts, scores = {}, {}
        for rows in range(1, min(self.n, self.max_rows) + 1):
            slot = width / math.ceil(self.n / rows)
            row_h = (self.size - self.band) / rows
            by_width = draw.fit_font_size("00", slot * LABEL_FILL, self.size, cap)
            marker = 2 * self._radius(slot) + 2 if self.points else 0
            by_height = int((row_h - self.size * self.min_plot - marker) / units)
            fonts[rows] = max(6, min(by_width, by_height))
            # a few wider labels (100, 125) shrink to their slot, but not far below the others
            scores[rows] = min(fonts[rows], _fit(widest, slot * LABEL_MAX, cap) + 2)
        good = min(max(scores.values()), round(self.size / 32))
        self.rows = min(rows for rows, score in scores.items() if score >= good)
        self.font = fonts[self.rows]
        self.per_row = math.ceil(self.n / self.rows)
        self.slot = width / self.per_row
        self.row_h = (self.size - self.band) / self.rows

    def _radius(self, slot: float) -> float:
        return max(2.5, min(slot * 0.18, self.size / 64)) if self.points else 0.0

    # ---- geometry ------------------------------------------------------------------------------------
    def row_of(self, i: int) -> int:
        return i // self.per_row

    def row_top(self, row: int) -> float:
        return self.band + row * self.row_h

    def row_span(self, row: int) -> tuple[float, float]:
        """Left and right x of a row's slots (the last row may hold fewer)."""
        count = min(self.per_row, self.n - row * self.per_row)
        return self.left, self.left + count * self.slot

    def slot_x(self, i: int) -> tuple[float, float]:
        """Left and right x of item i's slot."""
        x0 = self.left + (i % self.per_row) * self.slot
        return x0, x0 + self.slot

    def cx(self, i: int) -> float:
        return self.left + (i % self.per_row + 0.5) * self.slot

    def baseline(self, row: int) -> float:
        """The y of a row's zero line (of its lowest value, when values go below zero)."""
        return self.row_top(row) + self.tags * self.tag_h + self.label_h + self.plot_h

    def y_at(self, row: int, value: float) -> float:
        return self.baseline(row) - (value - self.low) * self.scale

    def y(self, i: int, value: float) -> float:
        """The y of `value` in item i's row."""
        return self.y_at(self.row_of(i), value)

    def box(self, i: int, high: float, low: float = 0) -> tuple[int, int, int, int]:
        """Pixel box (x0, top, x1, bottom) of item i's bar between `low` and `high`."""
        x0, x1 = self.slot_x(i)
        return (round(x0 + self.slot_gap), round(self.y(i, high)), round(x1 - self.slot_gap),
                round(self.y(i, low)))

    def run_boxes(self, first: int, last: int, high: float, low: float = 0,
                  centres: bool = False) -> list[tuple[int, int, int, int]]:
        """Boxes between `low` and `high` over items first..last, one per row the run crosses; from slot edge
        to slot edge, or (`centres`) from the centre of `first` to the centre of `last`."""
        out = []
        for row in range(self.row_of(first), self.row_of(last) + 1):
            row_x0, row_x1 = self.row_span(row)
            x0 = (self.cx(first) if centres else self.slot_x(first)[0]) if self.row_of(first) == row else row_x0
            x1 = (self.cx(last) if centres else self.slot_x(last)[1]) if self.row_of(last) == row else row_x1
            out.append((round(x0), round(self.y_at(row, high)), round(x1), round(self.y_at(row, low))))
        return out

    def label_font(self, text: str) -> int:
        """The size of one label text: the layout's font, smaller where the text is wider than two digits."""
        return _fit(text, self.slot * LABEL_MAX, self.font)

    def label_place(self, i: int) -> tuple[float, float, str, int]:
        """(x, y, text, font) of item i's value label: centred over its bar; over its point, or under it at a
        valley (both neighbours higher) when that fits above the axis, as the line leaves a valley upwards."""
        value = self.values[i]
        text = str(value)
        font = self.label_font(text)
        x, y = self.cx(i), self.y(i, value)
        if not self.points:
            return x, y - self.font * LABEL / 2, text, font
        h = _size(text, font)[1]
        offset = self.radius + 2 + LABEL_PAD + h / 2
        neighbours = [self.values[k] for k in (i - 1, i + 1) if 0 <= k < len(self.values)]
        valley = bool(neighbours) and all(value < v for v in neighbours)
        room = y + offset + h / 2 + LABEL_PAD <= self.baseline(self.row_of(i)) - 1
        return x, (y + offset if valley and room else y - offset), text, font

    def tag_y(self, i: int, line: int = 0) -> float:
        """Centre y of tag line `line` above item i's value label (lines count upwards)."""
        top = self.y(i, self.values[i]) - (self.radius + 2 if self.points else 0)
        return top - self.font * LABEL - (line + 0.5) * self.tag_h

    def index_y(self, row: int) -> float:
        return self.baseline(row) + self.pad + self.index_h / 2

    def under_y(self, row: int, line: int = 0) -> float:
        """Centre y of step-text line `line` under a row's index labels."""
        return self.baseline(row) + self.pad + self.index_h + (line + 0.5) * self.under_h

    def index_at(self, x: float, y: float) -> int | None:
        """The item whose column of its row (tags to step text) holds pixel (x, y)."""
        if y < self.band or x < self.left:
            return None
        row, col = int((y - self.band) // self.row_h), int((x - self.left) // self.slot)
        i = row * self.per_row + col
        return i if row < self.rows and col < self.per_row and i < len(self.values) else None

    # ---- drawing -------------------------------------------------------------------------------------
    def canvas(self, background: draw.Color = draw.WHITE) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        image = Image.new("RGB", (self.size, self.size), background)
        return image, ImageDraw.Draw(image)

    def caption(self, pen: ImageDraw.ImageDraw, line: int, text: str, color: draw.Color = draw.BLACK,
                font: int | None = None) -> None:
        """One line of the top band, shrunk to fit the width."""
        start = font or max(10, round(self.size * 0.036))
        size = draw.fit_font_size(text, self.size * 0.95, self.caption_h * 0.85, start)
        draw.draw_text(pen, (self.size / 2, self.caption_h * (line + 0.55)), text, size, color)

    def panels(self, pen: ImageDraw.ImageDraw, color: draw.Color) -> None:
        """A tinted background behind every row."""
        for row in range(self.rows):
            top = self.row_top(row)
            pen.rectangle((round(self.left), round(top + 2), round(self.right), round(top + self.row_h - 2)),
                          fill=color)

    def axes(self, pen: ImageDraw.ImageDraw, color: draw.Color = draw.GRID_LINE, width: int = 1) -> None:
        """A zero line under every row, as long as its items; with `ticks`, faint grid lines at round values
        and their numbers on the left (no vertical axis line: it would run into the first label)."""
        for row in range(self.rows):
            x0, x1 = self.row_span(row)
            if self.ticks:
                for value in range(self.low, self.vmax + 1, self.tick_step):
                    y = round(self.y_at(row, value))
                    pen.line((round(x0), y, round(x1), y), fill=FAINT, width=1)
                    draw.draw_text(pen, (x0 - 4, y), str(value), self.tick_font, draw.GRID_LINE, anchor="rm")
            y = round(self.baseline(row))
            pen.line((round(x0), y, round(x1), y), fill=color, width=width)

    def bars(self, pen: ImageDraw.ImageDraw, fill: draw.Color, outline: draw.Color | None = None,
             fills: Mapping[int, draw.Color] | None = None, width: int = 1) -> None:
        """Every bar; `fills` recolours some. A zero bar is a thick stroke on the zero line."""
        fills = fills or {}
        for i, value in enumerate(self.values):
            color = fills.get(i, fill)
            x0, top, x1, base = self.box(i, value)
            if value > 0:
                pen.rectangle((x0, top, x1, base), fill=color, outline=outline, width=width)
            else:
                pen.line((x0, base, x1, base), fill=color, width=3 * width)

    def span(self, pen: ImageDraw.ImageDraw, i: int, low: float, high: float, fill: draw.Color,
             outline: draw.Color | None = None) -> None:
        """A box in item i's bar between two values (water, a chosen part), when high > low."""
        if high > low:
            pen.rectangle(self.box(i, high, low), fill=fill, outline=outline, width=1 if outline else 0)

    def markers(self, pen: ImageDraw.ImageDraw, fill: draw.Color, outline: draw.Color | None = None,
               fills: Mapping[int, draw.Color] | None = None, enlarged: Iterable[int] = (), width: int = 1) -> None:
        """A marker on every value; `fills` recolours some, `enlarged` ones are drawn 1.4 times as big."""
        fills, big = fills or {}, set(enlarged)
        for i, value in enumerate(self.values):
            x, y = self.cx(i), self.y(i, value)
            r = self.radius * 1.4 if i in big else self.radius
            pen.ellipse((round(x - r), round(y - r), round(x + r), round(y + r)), fill=fills.get(i, fill),
                        outline=outline, width=width)

    def line(self, pen: ImageDraw.ImageDraw, indices: Iterable[int], color: draw.Color, width: int) -> None:
        """The path through the points of `indices`, in order. A step that crosses to a later row leaves its
        row at the right edge and enters the next at the left edge, aimed as if the rows were one long row."""
        for a, b in pairwise(indices):
            xa, ya, xb, yb = self.cx(a), self.y(a, self.values[a]), self.cx(b), self.y(b, self.values[b])
            ra, rb = self.row_of(a), self.row_of(b)
            if ra == rb:
                pen.line((round(xa), round(ya), round(xb), round(yb)), fill=color, width=width)
                continue
            run = self.per_row * self.slot * (rb - ra)  # b's x if its row were appended to a's
            edge = self.row_span(ra)[1]
            t = (edge - xa) / (xb + run - xa)
            out_y = ya + t * (self.y_at(ra, self.values[b]) - ya)
            in_y = self.y_at(rb, self.values[a]) + t * (yb - self.y_at(rb, self.values[a]))
            pen.line((round(xa), round(ya), round(edge), round(out_y)), fill=color, width=width)
            pen.line((round(self.left), round(in_y), round(xb), round(yb)), fill=color, width=width)

    def value_labels(self, pen: ImageDraw.ImageDraw, color: draw.Color = draw.BLACK,
                     colors: Mapping[int, draw.Color] | None = None, box: draw.Color | None = None) -> None:
        """Every value's label (see `label_place`); `box` clears a background behind each so lines do not
        run through it."""
        colors = colors or {}
        for i in range(len(self.values)):
            x, y, text, font = self.label_place(i)
            ink = colors.get(i, color)
            if box is None:
                draw.draw_text(pen, (x, y), text, font, ink)
            else:
                draw.draw_label(pen, (x, y), text, font, fill=ink, box=box, outline=box, pad=LABEL_PAD)

    def index_labels(self, pen: ImageDraw.ImageDraw, color: draw.Color = draw.GRID_LINE,
                     colors: Mapping[int, draw.Color] | None = None) -> None:
        """The index labels under the axis: under every item, or under every 5th with a tick when they would
        be too small."""
        colors = colors or {}
        for i in range(0, len(self.values), self.every):
            row = self.row_of(i)
            draw.draw_text(pen, (self.cx(i), self.index_y(row)), self.index_texts[i], self.index_font,
                           colors.get(i, color))
            if self.every > 1:
                x, y = round(self.cx(i)), round(self.baseline(row))
                pen.line((x, y, x, y + max(2, round(self.index_font * 0.25))), fill=color, width=1)

    def under_labels(self, pen: ImageDraw.ImageDraw, texts: Mapping[int, str], line: int = 0,
                     color: draw.Color = draw.ENTERED) -> None:
        """Step-mode text under some items' index labels (`texts`: item -> text), each shrunk to its slot."""
        for i, text in texts.items():
            if text:
                size = _fit(text, self.slot * 0.95, self.under_font)
                draw.draw_text(pen, (self.cx(i), self.under_y(self.row_of(i), line)), text, size, color)

    def tag(self, pen: ImageDraw.ImageDraw, i: int, text: str, color: draw.Color = draw.ENTERED,
            line: int = 0) -> None:
        """A short step-mode tag above item i's value label."""
        draw.draw_text(pen, (self.cx(i), self.tag_y(i, line)), text, _fit(text, self.slot * 0.95, self.font), color)


@lru_cache(maxsize=4096)
def _size(text: str, font: int) -> tuple[int, int]:
    return draw.text_size(text, font)


@lru_cache(maxsize=4096)
def _fit(text: str, width: float, start: int) -> int:
    return draw.fit_font_size(text, width, 10**4, start)


def _nice_step(span: int) -> int:
    """A round grid step giving two to four lines above zero."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500):
        if span // step <= 4:
            return step
    return 10 ** len(str(span)) // 4


def fit_caption(items: Sequence[str], prefix: str, suffix: str, width: float, size: int, smallest: int = 11,
                sep: str = ", ") -> tuple[str, int]:
    """`prefix item<sep>item... suffix` and a font size: shrunk down to `smallest` first, then dropping the
    oldest items (shown as `...`) while it is still too wide."""
    for skip in range(len(items) + 1):
        shown = (["..."] if skip else []) + list(items[skip:])
        text = f"{prefix}{sep.join(shown)}{suffix}"
        for font in range(size, smallest - 1, -1) if not skip else (smallest,):
            if draw.text_size(text, font)[0] <= width:
                return text, font
    return f"{prefix}...{suffix}", smallest
