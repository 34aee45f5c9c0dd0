"""The drawing kit every task renders with: grids, tiles and the primitives below; graphs live in
graph_draw.py and wrapped series charts in charts.py.

Deterministic to the byte for a given Pillow/FreeType: no randomness, no system fonts (Pillow's bundled
scalable font), integer coordinates. Tasks draw at about the requested size; `letterbox` fits any picture
onto the env's fixed square canvas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
PAPER: Color = (250, 248, 243)
GRID_LINE: Color = (120, 120, 120)
GIVEN: Color = (20, 20, 20)
ENTERED: Color = (25, 90, 200)  # values the player filled in, distinct from givens
CONFLICT: Color = (200, 40, 40)
HIGHLIGHT: Color = (255, 236, 140)
GREEN: Color = (60, 170, 100)
RED: Color = (220, 70, 50)
BLUE: Color = (40, 110, 220)
LIGHT_BLUE: Color = (200, 225, 250)
DARK_BLUE: Color = (30, 60, 140)
# dark, mutually distinct colours for edges and series (readable on white, labels in the same colour)
PALETTE: tuple[Color, ...] = (
    (31, 119, 180), (214, 39, 40), (44, 140, 44), (148, 103, 189), (200, 110, 14),
    (140, 86, 75), (207, 70, 160), (90, 90, 90), (150, 150, 20), (20, 150, 170),
)


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled scalable font at `size` px: the same glyphs on every machine with this Pillow."""
    return ImageFont.load_default(size=max(6, int(size)))


def text_size(text: str, size: int) -> tuple[int, int]:
    left, top, right, bottom = font(size).getbbox(text)
    return right - left, bottom - top


def fit_font_size(text: str, max_w: float, max_h: float, start: int) -> int:
    """The largest size <= start at which `text` fits in max_w x max_h."""
    size = max(6, int(start))
    while size > 6:
        w, h = text_size(text, size)
        if w <= max_w and h <= max_h:
            break
        size -= 1
    return size


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
              fill: Color = BLACK, anchor: str = "mm") -> None:
    draw.text((round(xy[0]), round(xy[1])), text, font=font(size), fill=fill, anchor=anchor)


def draw_label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
               fill: Color = BLACK, box: Color = WHITE, outline: Color | None = None, pad: int = 3) -> None:
    """Text centred on `xy` inside a filled rounded box (edge weights, captions over lines)."""
    w, h = text_size(text, size)
    x, y = round(xy[0]), round(xy[1])
    rect = (x - w // 2 - pad, y - h // 2 - pad, x + (w + 1) // 2 + pad, y + (h + 1) // 2 + pad)
    draw.rounded_rectangle(rect, radius=pad + 1, fill=box, outline=outline or fill, width=1)
    draw.text((x, y), text, font=font(size), fill=fill, anchor="mm")


def letterbox(image: Image.Image, size: int, background: Color = WHITE) -> Image.Image:
    """Scale `image` to fit a size x size RGB canvas, centred, keeping its aspect ratio."""
    image = image.convert("RGB")
    w, h = image.size
    if (w, h) == (size, size):
        return image
    scale = min(size / w, size / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    if (new_w, new_h) != (w, h):
        image = image.resize((new_w, new_h), Image.Resampling.BILINEAR if scale < 1 else Image.Resampling.NEAREST)
    canvas = Image.new("RGB", (size, size), background)
    canvas.paste(image, ((size - new_w) // 2, (size - new_h) // 2))
    return canvas


def side_by_side(images: Sequence[Image.Image], gap: int = 16, background: Color = WHITE) -> Image.Image:
    """Several pictures in one row (GraphIsomorphism's two graphs on one canvas)."""
    h = max(im.height for im in images)
    w = sum(im.width for im in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (w, h), background)
    x = 0
    for im in images:
        out.paste(im.convert("RGB"), (x, (h - im.height) // 2))
        x += im.width + gap
    return out


def add_caption(image: Image.Image, caption: str, size: int | None = None, fill: Color = BLACK) -> Image.Image:
    """A line of text above a picture (a title, a step-mode status line)."""
    size = size or max(12, image.width // 28)
    band = int(size * 1.8)
    out = Image.new("RGB", (image.width, image.height + band), image.getpixel((0, 0)) if image.mode == "RGB" else WHITE)
    out.paste(image.convert("RGB"), (0, band))
    draw_text(ImageDraw.Draw(out), (image.width / 2, band / 2), caption, size, fill)
    return out


def grid_geometry(rows: int, cols: int, size: int = 512,
                  margin: Sequence[float] = (0.5, 0.5, 0.5, 0.5)) -> tuple[int, int, int]:
    """(cell, x0, y0) of a GridCanvas: the cell side and the board's top-left corner, in pixels."""
    ml, mt, mr, mb = margin
    cell = max(8, int(size / max(cols + ml + mr, rows + mt + mb)))
    return cell, round(ml * cell), round(mt * cell)


def grid_cell_at(rows: int, cols: int, x: float, y: float, size: int = 512,
                 margin: Sequence[float] = (0.5, 0.5, 0.5, 0.5)) -> tuple[int, int] | None:
    """The (row, col) under pixel (x, y) of a GridCanvas(rows, cols, size, margin), without drawing it."""
    cell, x0, y0 = grid_geometry(rows, cols, size, margin)
    r, c = int((y - y0) // cell), int((x - x0) // cell)
    return (r, c) if 0 <= r < rows and 0 <= c < cols and x >= x0 and y >= y0 else None


class GridCanvas:
    """A rows x cols board with room for clues around it.

    Coordinates are (row, col), 0-based from the top left. `margin` is measured in cells on each side
    (left, top, right, bottom) so outside clues (Skyscrapers, Kakuro sums, coordinates) have room.
    """

    def __init__(self, rows: int, cols: int, size: int = 512, margin: Sequence[float] = (0.5, 0.5, 0.5, 0.5),
                 background: Color = PAPER, board: Color = WHITE) -> None:
        self.rows, self.cols = rows, cols
        _, _, mr, mb = margin
        self.cell, self.x0, self.y0 = grid_geometry(rows, cols, size, margin)
        width = self.x0 + cols * self.cell + round(mr * self.cell)
        height = self.y0 + rows * self.cell + round(mb * self.cell)
        self.image = Image.new("RGB", (width, height), background)
        self.draw = ImageDraw.Draw(self.image)
        self.draw.rectangle(self.board_box(), fill=board)

    # geometry
    def board_box(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x0 + self.cols * self.cell, self.y0 + self.rows * self.cell

    def cell_box(self, r: int, c: int, inset: int = 0) -> tuple[int, int, int, int]:
        x, y = self.x0 + c * self.cell, self.y0 + r * self.cell
        return x + inset, y + inset, x + self.cell - inset, y + self.cell - inset

    def center(self, r: float, c: float) -> tuple[float, float]:
        return self.x0 + (c + 0.5) * self.cell, self.y0 + (r + 0.5) * self.cell

    # cells
    def fill(self, r: int, c: int, color: Color, inset: int = 0) -> None:
        self.draw.rectangle(self.cell_box(r, c, inset), fill=color)

    def write(self, r: float, c: float, text: str, color: Color = GIVEN, scale: float = 0.6) -> None:
        """Text centred in a cell, shrunk until it fits (`scale` = glyph height / cell)."""
        size = fit_font_size(text, self.cell * 0.85, self.cell * 0.85, int(self.cell * scale))
        draw_text(self.draw, self.center(r, c), text, size, color)

    def circle(self, r: int, c: int, color: Color, radius: float = 0.3, outline: Color | None = None,
               width: int = 2) -> None:
        x, y = self.center(r, c)
        rad = self.cell * radius
        self.draw.ellipse((round(x - rad), round(y - rad), round(x + rad), round(y + rad)), fill=color,
                          outline=outline, width=width)

    def cross(self, r: int, c: int, color: Color, radius: float = 0.3, width: int | None = None) -> None:
        x, y = self.center(r, c)
        rad = self.cell * radius
        w = width or max(2, self.cell // 10)
        self.draw.line((round(x - rad), round(y - rad), round(x + rad), round(y + rad)), fill=color, width=w)
        self.draw.line((round(x - rad), round(y + rad), round(x + rad), round(y - rad)), fill=color, width=w)

    # lines
    def _w(self, fraction: float) -> int:
        return max(1, round(self.cell * fraction))

    def grid_lines(self, color: Color = GRID_LINE, width: float = 0.02) -> None:
        w = self._w(width)
        x0, y0, x1, y1 = self.board_box()
        for r in range(self.rows + 1):
            y = y0 + r * self.cell
            self.draw.line((x0, y, x1, y), fill=color, width=w)
        for c in range(self.cols + 1):
            x = x0 + c * self.cell
            self.draw.line((x, y0, x, y1), fill=color, width=w)

    def box_lines(self, box_rows: int, box_cols: int, color: Color = BLACK, width: float = 0.06) -> None:
        """Thick lines every `box_rows` rows and `box_cols` columns (Sudoku's 3x3 boxes), frame included."""
        w = self._w(width)
        x0, y0, x1, y1 = self.board_box()
        for r in range(0, self.rows + 1, box_rows):
            y = y0 + r * self.cell
            self.draw.line((x0 - w // 2, y, x1 + w // 2, y), fill=color, width=w)
        for c in range(0, self.cols + 1, box_cols):
            x = x0 + c * self.cell
            self.draw.line((x, y0 - w // 2, x, y1 + w // 2), fill=color, width=w)

    def frame(self, color: Color = BLACK, width: float = 0.06) -> None:
        w = self._w(width)
        x0, y0, x1, y1 = self.board_box()
        self.draw.rectangle((x0 - w // 2, y0 - w // 2, x1 + w // 2, y1 + w // 2), outline=color, width=w)

    def wall(self, r: int, c: int, side: str, color: Color = BLACK, width: float = 0.08) -> None:
        """A thick segment on one side ('top', 'bottom', 'left', 'right') of cell (r, c)."""
        x0, y0, x1, y1 = self.cell_box(r, c)
        w = self._w(width)
        ext = w // 2
        seg = {
            "top": (x0 - ext, y0, x1 + ext, y0),
            "bottom": (x0 - ext, y1, x1 + ext, y1),
            "left": (x0, y0 - ext, x0, y1 + ext),
            "right": (x1, y0 - ext, x1, y1 + ext),
        }[side]
        self.draw.line(seg, fill=color, width=w)

    def region_borders(self, regions: Sequence[Sequence[int]], color: Color = BLACK, width: float = 0.07) -> None:
        """Thick lines between cells of different regions (cages, tanks), and around the board."""
        for r in range(self.rows):
            for c in range(self.cols):
                if c + 1 < self.cols and regions[r][c] != regions[r][c + 1]:
                    self.wall(r, c, "right", color, width)
                if r + 1 < self.rows and regions[r][c] != regions[r + 1][c]:
                    self.wall(r, c, "bottom", color, width)
        self.frame(color, width)

    # outside the board
    def label(self, side: str, index: int, text: str, color: Color = GIVEN, scale: float = 0.45,
              offset: float = 0.5) -> None:
        """A clue outside the board, `offset` cells from its edge: beside row `index` ('left'/'right') or
        column `index` ('top'/'bottom')."""
        if side in ("left", "right"):
            pos = (index, -0.5 - offset if side == "left" else self.cols - 0.5 + offset)
        else:
            pos = (-0.5 - offset if side == "top" else self.rows - 0.5 + offset, index)
        size = fit_font_size(text, self.cell * 0.9, self.cell * 0.9, int(self.cell * scale))
        draw_text(self.draw, self.center(*pos), text, size, color)

    def coordinates(self, base: int = 0, color: Color = GRID_LINE, scale: float = 0.3) -> None:
        """Row numbers on the left and column numbers on top (needs margin on those sides)."""
        for r in range(self.rows):
            self.label("left", r, str(r + base), color, scale, offset=0.35)
        for c in range(self.cols):
            self.label("top", c, str(c + base), color, scale, offset=0.35)


def draw_graph(
    positions: dict[int, tuple[float, float]],
    edges: Iterable[tuple[int, int, str | None]],
    size: int = 512,
    directed: bool = False,
    node_fill: dict[int, Color] | None = None,
    edge_color: dict[tuple[int, int], Color] | None = None,
    node_radius: float | None = None,
    background: Color = WHITE,
) -> Image.Image:
    """Nodes at abstract `positions` (x right, y down), edges with optional labels: a one-call front for
    `graph_draw.GraphPicture` (use that class directly for hit-testing, rings, halos and captions)."""
    from helix_gym.core.graph_draw import GraphPicture  # graph_draw builds on this module

    edges = list(edges)
    picture = GraphPicture(positions, [(u, v) for u, v, _ in edges], labels=[text for _, _, text in edges],
                           directed=directed, size=size, node_radius=node_radius)
    colors = {i: (edge_color or {})[(u, v)] for i, (u, v, _) in enumerate(edges) if (u, v) in (edge_color or {})}
    return picture.render(fills=node_fill, edge_colors=colors, background=background)


def grid_layout(n: int, columns: int, spacing: float = 2.0) -> dict[int, tuple[float, float]]:
    """Node k at row k // columns, column k % columns (the MM-HELIX graph grid), y growing downwards."""
    return {k: ((k % columns) * spacing, (k // columns) * spacing) for k in range(n)}


def tiles(texts: Sequence[str], size: int = 512, per_row: int | None = None, fill: Color = WHITE,
          ink: Color = (40, 50, 70), title: str | None = None, background: Color = (240, 244, 248),
          highlight: Sequence[int] = ()) -> Image.Image:
    """Rounded cards in a grid, one text each (24 Points' cards, a sliding puzzle's tiles)."""
    n = max(1, len(texts))
    per_row = per_row or n
    rows = math.ceil(n / per_row)
    top = size * 0.14 if title else size * 0.04
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    if title:
        draw_text(draw, (size / 2, size * 0.07), title, max(14, size // 22), ink)
    slot_w = size / per_row
    slot_h = min((size - top - size * 0.04) / rows, slot_w * 1.5)
    y_start = top + ((size - top - size * 0.04) - slot_h * rows) / 2
    card_w, card_h = slot_w * 0.8, slot_h * 0.85
    for i, text in enumerate(texts):
        r, c = divmod(i, per_row)
        x0 = c * slot_w + (slot_w - card_w) / 2
        y0 = y_start + r * slot_h + (slot_h - card_h) / 2
        shadow = (round(x0 + 5), round(y0 + 5), round(x0 + card_w + 5), round(y0 + card_h + 5))
        draw.rounded_rectangle(shadow, radius=max(4, int(card_w / 10)), fill=(200, 205, 212))
        box = (round(x0), round(y0), round(x0 + card_w), round(y0 + card_h))
        draw.rounded_rectangle(box, radius=max(4, int(card_w / 10)), fill=HIGHLIGHT if i in highlight else fill,
                               outline=(150, 155, 165), width=2)
        fs = fit_font_size(text, card_w * 0.85, card_h * 0.6, int(card_h * 0.45))
        draw_text(draw, (x0 + card_w / 2, y0 + card_h / 2), text, fs, ink)
    return image


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
