"""The drawing kit is deterministic to the byte and fits pictures onto the square canvas."""

import hashlib

from PIL import Image

from helix_gym.core import draw


def _digest(image: Image.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def _grid() -> Image.Image:
    g = draw.GridCanvas(6, 6, size=300, margin=(1, 1, 0.5, 0.5))
    g.grid_lines()
    g.region_borders([[r // 2 * 3 + c // 3 for c in range(6)] for r in range(6)])
    g.coordinates(base=1)
    g.write(0, 0, "5")
    g.write(2, 3, "12", draw.ENTERED)
    g.circle(5, 5, draw.GREEN)
    g.cross(4, 4, draw.RED)
    g.label("right", 2, "7")
    return g.image


def test_kit_is_deterministic():
    pictures = [
        _grid,
        lambda: draw.draw_graph(draw.grid_layout(7, 3), [(0, 1, "3"), (1, 5, "12"), (2, 6, None)], size=200,
                                directed=True),
        lambda: draw.tiles(["3", "8", "8", "3"], size=200, title="24"),
    ]
    for make in pictures:
        first, second = make(), make()
        assert _digest(first) == _digest(second)
        assert len(first.getcolors(1 << 16) or range(3)) > 2


def test_letterbox_keeps_aspect_and_centres():
    wide = Image.new("RGB", (200, 100), (255, 0, 0))
    boxed = draw.letterbox(wide, 64)
    assert boxed.size == (64, 64)
    assert boxed.getpixel((32, 2)) == (255, 255, 255)  # band above
    assert boxed.getpixel((32, 32)) == (255, 0, 0)


def test_grid_geometry_round_trips():
    g = draw.GridCanvas(9, 9, size=512)
    x0, y0, x1, y1 = g.cell_box(3, 4)
    assert x1 - x0 == g.cell and y1 - y0 == g.cell
    cx, cy = g.center(3, 4)
    assert x0 < cx < x1 and y0 < cy < y1
    assert max(g.image.size) <= 512


def test_side_by_side_and_caption():
    a, b = Image.new("RGB", (50, 40)), Image.new("RGB", (30, 60))
    both = draw.side_by_side([a, b], gap=10)
    assert both.size == (90, 60)
    assert draw.add_caption(a, "hello").height > 40
