"""Graph pictures: `GraphPicture` lays a graph out once (node pixels, edge paths, colours, label places) and
draws it in any step-mode position.

What it takes care of, so graph tasks do not redo it:
- node -> pixel map, node radius and `node_at(x, y)` for hit-testing (the layout does not depend on the
  position drawn, so clicks map the same way in every picture);
- edges that would pass through (or graze) another node's disc are drawn as gentle quadratic arcs that
  clear every node; opposite arcs u->v and v->u bow apart;
- edge colours: a greedy colouring in which edges that share an end or cross get different colours;
- edge labels (weights, capacities) on their own edge, placed to clear other labels, every node (ring
  included), arrowheads and, where possible, other edges;
- arrowheads that stop at the head node's rim;
- per-position styling: node fills, rings (the current node), halos under a walk, muted (used) edges, and a
  caption band on top with room reserved at construction so nodes never move.
Deterministic to the byte: plain float maths rounded to integer pixels, the kit's bundled font.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import combinations, pairwise

import numpy as np
from PIL import Image, ImageDraw

from helix_gym.core import draw
from helix_gym.core.draw import Color

Point = tuple[float, float]
Rect = tuple[int, int, int, int]
# draw.PALETTE first (the ShortestDistance look), then more dark colours for busy nodes
EDGE_PALETTE: tuple[Color, ...] = (*draw.PALETTE, (25, 70, 120), (180, 50, 90), (85, 120, 30), (120, 70, 20),
                                   (40, 160, 110), (160, 60, 200))
MUTED: Color = (205, 205, 205)  # used / inactive edges (Eulerian step mode)
HALO: Color = draw.HIGHLIGHT
LABEL_PAD = 3
# space between two label boxes, in label font sizes (x, y): at least LABEL_GAP; and, where there is room,
# LABEL_ROOM between boxes side by side on one line (there "3" and "9" could read as "39")
LABEL_GAP = (0.3, 0.2)
LABEL_ROOM = 1.0
CURVE_STEPS = 20
_LABEL_T = (0.5, 0.4, 0.6, 0.33, 0.67, 0.27, 0.73, 0.21, 0.79, 0.16, 0.84)


def _bend_candidates(left_only: bool) -> np.ndarray:
    """(h1, h2) pairs for cubic arcs: the control points sit h1 and h2 chord lengths to the left of the
    chord's thirds (negative: to the right). Plain bows (h1 == h2) first, then the rest; flattest first."""
    steps = (0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.36, 0.43, 0.5, 0.6, 0.7)
    values = sorted({sign * v for v in steps for sign in (1, -1)})
    pairs = [(h1, h2) for h1 in values for h2 in values if (h1, h2) != (0, 0)]
    if left_only:
        pairs = [(h1, h2) for h1, h2 in pairs if h1 >= 0.08 and h2 >= 0.08]
    pairs.sort(key=lambda h: (h[0] != h[1], max(abs(h[0]), abs(h[1])) + 0.5 * abs(h[0] - h[1]), -(h[0] + h[1]),
                              -h[0]))
    return np.array(pairs, dtype=float)


_BENDS = _bend_candidates(False)
_LEFT_BENDS = _bend_candidates(True)


def ring_width(radius: float) -> float:
    """Width of the ring that marks a node (the walker), outside its disc."""
    return max(3.0, radius * 0.22)


def label_rect(x: float, y: float, text: str, font_size: int, pad: int = LABEL_PAD) -> Rect:
    """The box `draw.draw_label` fills for `text` centred on (x, y)."""
    w, h = draw.text_size(text, font_size)
    return _rect((x, y), w, h, pad)


def _rect(centre: Point, w: int, h: int, pad: int = LABEL_PAD) -> Rect:
    x, y = round(centre[0]), round(centre[1])
    return x - w // 2 - pad, y - h // 2 - pad, x + (w + 1) // 2 + pad, y + (h + 1) // 2 + pad


def rects_overlap(a: Sequence[float], b: Sequence[float], gap_x: float = 0, gap_y: float | None = None) -> bool:
    """Whether two (x0, y0, x1, y1) boxes overlap, or come closer than the gaps."""
    gap_y = gap_x if gap_y is None else gap_y
    return a[0] < b[2] + gap_x and b[0] < a[2] + gap_x and a[1] < b[3] + gap_y and b[1] < a[3] + gap_y


def rect_point_distance(rect: Sequence[float], p: Point) -> float:
    """Distance from p to the nearest point of the rectangle (0 inside)."""
    cx, cy = min(max(p[0], rect[0]), rect[2]), min(max(p[1], rect[1]), rect[3])
    return math.hypot(cx - p[0], cy - p[1])


def segment_point_distance(a: Point, b: Point, p: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(a[0] + t * dx - p[0], a[1] + t * dy - p[1])


def polyline_point_distance(points: Sequence[Point], p: Point) -> float:
    return min(segment_point_distance(a, b, p) for a, b in pairwise(points))


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when the segments cross at a point inside both (touching ends do not count)."""
    d1, d2 = _orient(c, d, a), _orient(c, d, b)
    d3, d4 = _orient(a, b, c), _orient(a, b, d)
    eps = 1e-9
    return ((d1 > eps and d2 < -eps) or (d1 < -eps and d2 > eps)) and \
        ((d3 > eps and d4 < -eps) or (d3 < -eps and d4 > eps))


def segment_hits_rect(a: Point, b: Point, rect: Sequence[float]) -> bool:
    """Whether segment a-b touches the rectangle (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = rect
    dx, dy = b[0] - a[0], b[1] - a[1]
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
        else:
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo > hi:
                return False
    return True


def _bbox(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _point_at(points: Sequence[Point], t: float) -> tuple[Point, Point]:
    """The point a fraction t of the way along a polyline, and the unit direction there."""
    lengths = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(points)]
    goal = t * sum(lengths)
    for (a, b), length in zip(pairwise(points), lengths):
        if goal <= length or b is points[-1]:
            f = 0.0 if length == 0 else min(1.0, goal / length)
            ux, uy = ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length else (1.0, 0.0)
            return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f), (ux, uy)
        goal -= length
    return points[-1], (1.0, 0.0)


def _touches(rect: Rect, boxes: np.ndarray) -> bool:
    """Whether `rect` overlaps any of the (K, 4) boxes."""
    return bool(len(boxes)) and bool(((rect[0] < boxes[:, 2]) & (boxes[:, 0] < rect[2]) & (rect[1] < boxes[:, 3])
                                      & (boxes[:, 1] < rect[3])).any())


def _side_by_side(rect: Rect, boxes: np.ndarray, room: float) -> bool:
    """Whether `rect` shares a line of text with one of the boxes (half its height or more) closer than `room`."""
    if not len(boxes):
        return False
    shared = np.minimum(rect[3], boxes[:, 3]) - np.maximum(rect[1], boxes[:, 1])
    apart = np.maximum(boxes[:, 0] - rect[2], rect[0] - boxes[:, 2])
    return bool(((shared >= (rect[3] - rect[1]) / 2) & (apart < room)).any())


def _box(x: float, y: float, r: float) -> tuple[int, int, int, int]:
    return round(x - r), round(y - r), round(x + r), round(y + r)


# ---- vectorised geometry (numpy: only IEEE elementwise arithmetic, so the same on every machine) -----------
def segment_distances(a: np.ndarray, b: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(..., N, K) distances from N points `p` to K segments a[..., k]-b[..., k] (a, b: (..., K, 2))."""
    d = (b - a)[..., None, :, :]
    length2 = (d * d).sum(axis=-1)
    rel = p[:, None, :] - a[..., None, :, :]
    t = np.clip((rel * d).sum(axis=-1) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    gap = rel - t[..., None] * d
    return np.sqrt((gap * gap).sum(axis=-1))


def crossing_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, M) booleans: segment i and segment j cross at a point inside both (touching ends do not count)."""
    d = b - a
    eps = 1e-9

    def side(p: np.ndarray) -> np.ndarray:  # [i, j]: which side of segment j's line point p[i] lies on
        return d[None, :, 0] * (p[:, None, 1] - a[None, :, 1]) - d[None, :, 1] * (p[:, None, 0] - a[None, :, 0])

    s1, s2 = side(a), side(b)
    straddle = ((s1 > eps) & (s2 < -eps)) | ((s1 < -eps) & (s2 > eps))
    return straddle & straddle.T


def segments_hit_rect(a: np.ndarray, b: np.ndarray, rect: Sequence[float]) -> np.ndarray:
    """(M,) booleans: segment a[k]-b[k] touches the box (Liang-Barsky clipping, vectorised)."""
    x0, y0, x1, y1 = rect
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    lo, hi = np.zeros(len(a)), np.ones(len(a))
    ok = np.ones(len(a), dtype=bool)
    for p, q in ((-dx, a[:, 0] - x0), (dx, x1 - a[:, 0]), (-dy, a[:, 1] - y0), (dy, y1 - a[:, 1])):
        zero = p == 0
        ok &= ~(zero & (q < 0))
        t = q / np.where(zero, 1.0, p)
        lo = np.where(~zero & (p < 0), np.maximum(lo, t), lo)
        hi = np.where(~zero & (p > 0), np.minimum(hi, t), hi)
    return ok & (lo <= hi)


class GraphPicture:
    """A graph laid out in a width x height picture (square `size` by default).

    `positions` are abstract coordinates (x to the right, y downwards); they are scaled uniformly (or per axis
    with `keep_aspect=False`) into the picture below a caption band of `caption_lines` lines. `edges` are
    (u, v) pairs (extra items such as weights are ignored); `labels[i]` is edge i's text or None. Pass the
    widest texts a label will ever show: places are chosen for these and kept for every position drawn."""

    def __init__(self, positions: Mapping[int, Sequence[float]], edges: Iterable[Sequence[int]], *,
                 labels: Sequence[str | None] | None = None, directed: bool = False, size: int = 512,
                 width: int | None = None, height: int | None = None, caption_lines: int = 0,
                 margin: float = 0.08, keep_aspect: bool = True, node_radius: float | None = None,
                 label_size: int | None = None, node_labels: Mapping[int, str] | None = None,
                 clearance: float | None = None) -> None:
        self.width, self.height = int(width or size), int(height or size)
        unit = min(self.width, self.height)
        self.unit = unit
        self.line_height = round(unit * 0.055)
        self.band = self.line_height * caption_lines + round(unit * 0.02) if caption_lines else 0
        self.nodes = sorted(int(k) for k in positions)
        self.edges = [(int(e[0]), int(e[1])) for e in edges]
        self.labels = list(labels) if labels is not None else [None] * len(self.edges)
        if len(self.labels) != len(self.edges):
            raise ValueError("one label (or None) per edge")
        self.directed = directed
        self.node_labels = {k: str(node_labels.get(k, k)) for k in self.nodes} if node_labels else \
            {k: str(k) for k in self.nodes}
        self._xy = self._place({int(k): (float(p[0]), float(p[1])) for k, p in positions.items()}, margin,
                               keep_aspect)
        self._centres = np.array([self._xy[k] for k in self.nodes], dtype=float).reshape(-1, 2)
        self.cell = self._min_distance()
        self.radius = float(node_radius) if node_radius else max(9.0, min(0.22 * self.cell, unit / 16))
        self.line_width = max(2, round(self.radius / 8))
        self.ring = ring_width(self.radius)
        self.reach = self.radius + self.ring  # what labels keep clear of, around every node
        self.clearance = clearance if clearance is not None else max(2.0 * self.line_width, 0.2 * self.radius)
        self.label_size = label_size or max(11, min(round(self.cell * 0.19), unit // 22))
        self.index = {}
        for i, (u, v) in enumerate(self.edges):
            self.index.setdefault((u, v), i)
            if not directed:
                self.index.setdefault((v, u), i)

    # ---- geometry ---------------------------------------------------------------------------------------------
    def _place(self, pos: dict[int, Point], margin: float, keep_aspect: bool) -> dict[int, Point]:
        xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
        span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
        pad = margin * self.unit
        sx = (self.width - 2 * pad) / (span_x or 1.0)
        sy = (self.height - self.band - 2 * pad) / (span_y or 1.0)
        if keep_aspect:
            sx = sy = min(sx, sy)
        x0 = (self.width - span_x * sx) / 2 - min(xs) * sx
        y0 = self.band + (self.height - self.band - span_y * sy) / 2 - min(ys) * sy
        return {k: (x0 + x * sx, y0 + y * sy) for k, (x, y) in pos.items()}

    def _min_distance(self) -> float:
        pts = list(self._xy.values())
        best = min((math.dist(a, b) for a, b in combinations(pts, 2)), default=self.unit / 4)
        return best or self.unit / 4

    def xy(self, node: int) -> Point:
        """Pixel centre of `node`."""
        return self._xy[node]

    @property
    def pixels(self) -> dict[int, Point]:
        """node -> pixel centre, for every node."""
        return dict(self._xy)

    def node_at(self, x: float, y: float) -> int | None:
        """The node whose disc (ring included) holds pixel (x, y), the nearest if several; else None."""
        best, best_d = None, self.reach
        for node in self.nodes:
            d = math.dist((x, y), self._xy[node])
            if d <= best_d:
                best, best_d = node, d
        return best

    def edge_index(self, u: int, v: int) -> int | None:
        """Index of edge u-v (u->v when directed), or None."""
        return self.index.get((u, v))

    def walk_edges(self, walk: Sequence[int]) -> list[int]:
        """Indices of the edges along a walk (steps that are not edges are skipped)."""
        out = []
        for a, b in pairwise(walk):
            i = self.index.get((a, b))
            if i is not None:
                out.append(i)
        return out

    def blockers(self, a: Point, b: Point, ends: Sequence[int] = ()) -> list[int]:
        """Nodes (other than `ends`) whose disc plus clearance the straight segment a-b would touch."""
        dist = segment_distances(np.array([a]), np.array([b]), self._centres)[:, 0]
        need = self.radius + self.clearance
        return [k for k, d in zip(self.nodes, dist.tolist()) if d < need and k not in ends]

    # ---- edge paths -----------------------------------------------------------------------------------------
    @cached_property
    def paths(self) -> list[list[Point]]:
        """Each edge's centre-to-centre polyline: 2 points when straight, a sampled arc when curved."""
        out = []
        for u, v in self.edges:
            a, b = self._xy[u], self._xy[v]
            opposite = self.directed and (v, u) in self.index
            if not opposite and not self.blockers(a, b, (u, v)):
                out.append([a, b])
            else:
                out.append(self._arc(a, b, (u, v), 1 if opposite else 0))
        return out

    def curved(self, i: int) -> bool:
        return len(self.paths[i]) > 2

    def _arc(self, a: Point, b: Point, ends: tuple[int, int], side: int) -> list[Point]:
        """The flattest cubic arc a -> b that keeps every other node's disc `clearance` away and stays in the
        picture: plain bows first, then S-shapes that slip between nodes on either side (`side` +1 keeps
        to the left of a -> b, for the two arcs of u->v and v->u). If none clears, the best one found."""
        length = math.dist(a, b) or 1.0
        d = np.array([b[0] - a[0], b[1] - a[1]])
        normal = np.array([a[1] - b[1], b[0] - a[0]]) / length  # left of a -> b in picture coordinates
        others = np.array([self._xy[k] for k in self.nodes if k not in ends], dtype=float).reshape(-1, 2)
        t = np.linspace(0.0, 1.0, CURVE_STEPS + 1)
        m = self.line_width
        box = (m, self.band + m, self.width - m, self.height - m)
        cands = _LEFT_BENDS if side else _BENDS
        best, best_score = None, -math.inf
        bows = int((cands[:, 0] == cands[:, 1]).sum())
        for start, stop in pairwise((0, *range(bows, len(cands), 64), len(cands))):  # plain bows, then S-shapes
            h = cands[start:stop]
            dev = 3 * t * (1 - t) * ((1 - t) * h[:, :1] + t * h[:, 1:]) * length  # (K, steps + 1)
            pts = np.array(a) + t[None, :, None] * d + dev[..., None] * normal  # (K, steps + 1, 2)
            inside = ((pts[..., 0] >= box[0]) & (pts[..., 0] <= box[2]) & (pts[..., 1] >= box[1])
                      & (pts[..., 1] <= box[3])).all(axis=1)
            if len(others):
                gap = segment_distances(pts[:, :-1], pts[:, 1:], others).min(axis=(1, 2)) - self.radius
            else:
                gap = np.full(len(h), math.inf)
            good = np.flatnonzero(inside & (gap >= self.clearance))
            if len(good):
                return [a, *map(tuple, pts[good[0], 1:-1].tolist()), b]
            score = np.where(inside, gap, gap - 1e6)
            k = int(np.argmax(score))
            if score[k] > best_score:
                best, best_score = [a, *map(tuple, pts[k, 1:-1].tolist()), b], float(score[k])
        return best

    @cached_property
    def arrows(self) -> list[tuple[list[Point], list[Point]] | None]:
        """Per edge (directed only): the drawn polyline, trimmed at the arrow's base, and the arrowhead."""
        if not self.directed:
            return [None] * len(self.edges)
        head = max(8.0, self.radius * 0.7)
        out = []
        for (_, v), pts in zip(self.edges, self.paths):
            centre = self._xy[v]
            rim = self.radius + 1.5
            k = len(pts) - 1  # walk back to the first point outside the rim, then interpolate onto it
            while k > 0 and math.dist(pts[k - 1], centre) < rim:
                k -= 1
            tip = self._along_to(pts[k - 1], pts[k], centre, rim) if k > 0 else pts[0]
            trimmed = [*pts[:k], tip]
            back = self._back_from(trimmed, tip, head)
            ux, uy = tip[0] - back[0], tip[1] - back[1]
            norm = math.hypot(ux, uy) or 1.0
            ux, uy = ux / norm, uy / norm
            base = (tip[0] - ux * head, tip[1] - uy * head)
            w = head * 0.42
            tri = [tip, (base[0] - uy * w, base[1] + ux * w), (base[0] + uy * w, base[1] - ux * w)]
            shaft = self._back_from_path(trimmed, head * 0.7)
            out.append((shaft, tri))
        return out

    @staticmethod
    def _along_to(p: Point, q: Point, centre: Point, r: float) -> Point:
        """The point of segment p (outside the circle) -> q (inside) at distance r from centre (bisection)."""
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = (lo + hi) / 2
            x, y = p[0] + (q[0] - p[0]) * mid, p[1] + (q[1] - p[1]) * mid
            if math.dist((x, y), centre) > r:
                lo = mid
            else:
                hi = mid
        return p[0] + (q[0] - p[0]) * lo, p[1] + (q[1] - p[1]) * lo

    @staticmethod
    def _back_from(pts: Sequence[Point], tip: Point, dist: float) -> Point:
        """A point about `dist` back along the polyline from its end (the arrow's direction)."""
        for p in reversed(pts[:-1]):
            if math.dist(p, tip) >= dist:
                return p
        return pts[0]

    @staticmethod
    def _back_from_path(pts: list[Point], cut: float) -> list[Point]:
        """The polyline with its last `cut` pixels removed (the shaft stops inside the arrowhead)."""
        out = list(pts)
        while len(out) >= 2:
            a, b = out[-2], out[-1]
            seg = math.dist(a, b)
            if seg > cut:
                f = (seg - cut) / seg
                out[-1] = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
                return out
            cut -= seg
            out.pop()
        return pts[:1] * 2

    # ---- colours --------------------------------------------------------------------------------------------
    @cached_property
    def _segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every drawn segment of every edge path: starts, ends, and the edge each belongs to."""
        a = [p for pts in self.paths for p in pts[:-1]]
        b = [p for pts in self.paths for p in pts[1:]]
        owner = [i for i, pts in enumerate(self.paths) for _ in pts[1:]]
        return (np.array(a, dtype=float).reshape(-1, 2), np.array(b, dtype=float).reshape(-1, 2),
                np.array(owner, dtype=int))

    @cached_property
    def crossings(self) -> list[set[int]]:
        """Per edge, the other edges its drawn path crosses (edges sharing an end are not counted)."""
        a, b, owner = self._segments
        out: list[set[int]] = [set() for _ in self.edges]
        hits = np.argwhere(crossing_matrix(a, b))
        for i, j in zip(owner[hits[:, 0]].tolist(), owner[hits[:, 1]].tolist()):
            if i != j and not set(self.edges[i]) & set(self.edges[j]):
                out[i].add(j)
        return out

    @cached_property
    def colors(self) -> list[Color]:
        """Greedy colouring in edge order: edges that share an end or cross get different colours."""
        at: dict[int, list[int]] = {}
        for i, (u, v) in enumerate(self.edges):
            at.setdefault(u, []).append(i)
            at.setdefault(v, []).append(i)
        chosen: list[int] = []
        for i, (u, v) in enumerate(self.edges):
            taken = {chosen[j] for j in (*at[u], *at[v], *self.crossings[i]) if j < i}
            free = [k for k in range(len(EDGE_PALETTE)) if k not in taken]
            chosen.append(free[0] if free else i % len(EDGE_PALETTE))
        return [EDGE_PALETTE[k] for k in chosen]

    # ---- labels ---------------------------------------------------------------------------------------------
    @cached_property
    def label_places(self) -> list[Point | None]:
        """Centre of each edge label (None for unlabelled edges), chosen greedily, shortest edges first.

        A place must keep clear of the picture's edges and caption band, of placed labels (with a gap), of
        arrowheads and of every node's disc and ring; among those, the first place on the edge itself that
        no other edge runs through wins, else the one with the fewest other edges under it, on or near it."""
        self._crowded: list[int] = []
        obstacles = np.array([_bbox(tri) for _, tri in filter(None, self.arrows)], dtype=float).reshape(-1, 4)
        a, b, owner = self._segments
        gap = np.array([-1, -1, 1, 1]) * np.tile([max(2, round(g * self.label_size)) for g in LABEL_GAP], 2)
        room = LABEL_ROOM * self.label_size
        placed: list[Rect] = []
        out: list[Point | None] = [None] * len(self.edges)
        lengths = [sum(math.dist(p, q) for p, q in pairwise(pts)) for pts in self.paths]
        for i in sorted(range(len(self.edges)), key=lambda k: lengths[k]):  # short edges have least room: first
            text = self.labels[i]
            if text is None:
                continue
            w, h = draw.text_size(text, self.label_size)
            others = np.array(placed, dtype=float).reshape(-1, 4)
            blocked = np.concatenate([others + gap, obstacles])
            best, best_score = None, math.inf
            for centre, level in self._label_candidates(i, w, h):
                rect = _rect(centre, w, h)
                if not self._label_fits(rect, blocked):
                    continue
                under = owner[segments_hit_rect(a, b, rect) & (owner != i)]
                score = 0.6 * level + len(set(under.tolist())) + 0.5 * _side_by_side(rect, others, room)
                if score < best_score:
                    best, best_score = centre, score
                if score == 0:
                    break
            if best is None:  # nowhere clean: the middle of the edge, so the label is at least on its edge
                best = _point_at(self.paths[i], 0.5)[0]
                self._crowded.append(i)
            placed.append(_rect(best, w, h))
            out[i] = best
        return out

    def _label_candidates(self, i: int, w: int, h: int) -> Iterable[tuple[Point, int]]:
        """On the edge first (middle outwards), then beside it at growing distances on either side."""
        step = math.hypot(w, h) / 2 + LABEL_PAD + self.line_width
        spots = [_point_at(self.paths[i], t) for t in _LABEL_T]
        for level, offsets in enumerate(((0.0,), (step, -step), (2 * step, -2 * step))):
            for (x, y), (ux, uy) in spots:
                for off in offsets:
                    yield (x - uy * off, y + ux * off), level

    def _label_fits(self, rect: Rect, blocked: np.ndarray) -> bool:
        """Inside the picture, off every `blocked` box (placed labels grown by the gap, arrowheads) and clear
        of every node's disc and ring."""
        if rect[0] < 0 or rect[1] < self.band or rect[2] > self.width or rect[3] > self.height:
            return False
        if _touches(rect, blocked):
            return False
        cx = np.clip(self._centres[:, 0], rect[0], rect[2]) - self._centres[:, 0]
        cy = np.clip(self._centres[:, 1], rect[1], rect[3]) - self._centres[:, 1]
        return bool((cx * cx + cy * cy >= self.reach * self.reach).all())

    @property
    def crowded(self) -> list[int]:
        """Edges whose label found no clean place (drawn mid-edge anyway): a sign of too dense a drawing."""
        _ = self.label_places
        return list(self._crowded)

    def label_boxes(self) -> list[Rect | None]:
        """The box of every drawn label (None for unlabelled edges), for overlap checks."""
        return [None if c is None else label_rect(*c, t, self.label_size)
                for c, t in zip(self.label_places, self.labels)]

    # ---- drawing --------------------------------------------------------------------------------------------
    def render(self, *, fills: Mapping[int, Color] | None = None, rings: Mapping[int, Color] | None = None,
               halo: Iterable[int] = (), muted: Iterable[int] = (), edge_colors: Mapping[int, Color] | None = None,
               edge_text: Mapping[int, str] | None = None, caption: Sequence[tuple[str, Color]] = (),
               outline: Color = draw.DARK_BLUE, node_fill: Color = draw.LIGHT_BLUE,
               background: Color = draw.WHITE) -> Image.Image:
        """The picture: halos under edges `halo`, edges (grey when in `muted`), labels, nodes (fills, rings),
        then the caption lines (text, colour) in the band. `edge_text` replaces label texts in this picture."""
        image = Image.new("RGB", (self.width, self.height), background)
        pen = ImageDraw.Draw(image)
        muted, colors = set(muted), list(self.colors)
        for i, c in (edge_colors or {}).items():
            colors[i] = c
        for i in muted:
            colors[i] = MUTED
        for i in sorted(set(halo)):
            self._line(pen, self.paths[i], HALO, self.line_width * 5)
        for i, pts in enumerate(self.paths):  # muted edges first, so live ones stay on top
            if i in muted:
                self._edge(pen, i, pts, colors[i])
        for i, pts in enumerate(self.paths):
            if i not in muted:
                self._edge(pen, i, pts, colors[i])
        texts = dict(enumerate(self.labels))
        texts.update(edge_text or {})
        for i, centre in enumerate(self.label_places):
            if centre is not None and texts.get(i) is not None:
                draw.draw_label(pen, centre, str(texts[i]), self.label_size, fill=colors[i], pad=LABEL_PAD)
        for node in self.nodes:
            self._node(pen, node, (fills or {}).get(node, node_fill), (rings or {}).get(node), outline)
        for k, (text, color) in enumerate(caption):
            y = self.line_height * (0.6 + 0.9 * k)
            fs = draw.fit_font_size(text, self.width * 0.95, self.line_height, max(12, round(self.unit * 0.036)))
            draw.draw_text(pen, (self.width / 2, y), text, fs, color)
        return image

    def _line(self, pen: ImageDraw.ImageDraw, pts: Sequence[Point], color: Color, width: int) -> None:
        if len(pts) == 2:
            (x0, y0), (x1, y1) = pts
            pen.line((round(x0), round(y0), round(x1), round(y1)), fill=color, width=width)
        else:
            pen.line([(round(x), round(y)) for x, y in pts], fill=color, width=width, joint="curve")

    def _edge(self, pen: ImageDraw.ImageDraw, i: int, pts: Sequence[Point], color: Color) -> None:
        arrow = self.arrows[i]
        if arrow is None:
            self._line(pen, pts, color, self.line_width)
            return
        shaft, tri = arrow
        self._line(pen, shaft, color, self.line_width)
        pen.polygon([(round(x), round(y)) for x, y in tri], fill=color)

    def _node(self, pen: ImageDraw.ImageDraw, node: int, fill: Color, ring: Color | None, outline: Color) -> None:
        x, y = self._xy[node]
        rad = self.radius
        if ring is not None:
            pen.ellipse(_box(x, y, rad + self.ring), fill=ring)
        pen.ellipse(_box(x, y, rad), fill=fill, outline=outline, width=max(2, round(rad / 10)))
        text = self.node_labels[node]
        draw.draw_text(pen, (x, y), text, draw.fit_font_size(text, rad * 1.5, rad * 1.3, round(rad * 0.95)))
