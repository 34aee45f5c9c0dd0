"""The graph picture kit (core/graph_draw.py): labels never collide, clicks map to nodes, arcs avoid nodes,
colours tell touching and crossing edges apart, pictures are byte-deterministic."""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np
import pytest

from helix_gym.core import draw, graphs
from helix_gym.core.graph_draw import MUTED, GraphPicture, segment_distances


def _digest(image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def weighted_grid_graph(seed: int, n: int) -> list[list[int]]:
    """A ShortestDistance-like graph: the full 4-neighbour grid plus random diagonals, weights 1..10."""
    rng = np.random.default_rng(seed)
    edges = graphs.build_grid_graph(rng, n, 0.2, alpha=10, beta=1, gamma=0).edges()
    return [[u, v, int(w)] for (u, v), w in zip(edges, rng.integers(1, 11, len(edges)))]


def layered_dag(seed: int, sizes=(1, 3, 4, 4, 3, 1)) -> tuple[dict[int, tuple[float, float]], list[tuple[int, int]]]:
    """A MaxFlow-like layered DAG: every node reached from the previous layer, plus random arcs."""
    rng = np.random.default_rng(seed)
    layers, k = [], 0
    for size in sizes:
        layers.append(list(range(k, k + size)))
        k += size
    arcs = set()
    for a, b in itertools.pairwise(layers):
        for i, v in enumerate(b):
            arcs.add((a[i % len(a)], v))
        for u in a:
            if not any((u, v) in arcs for v in b):
                arcs.add((u, b[0]))
            arcs.update((u, v) for v in b if rng.random() < 0.3)
    pos = {node: (float(x), (len(layer) - 1) / 2 - i) for x, layer in enumerate(layers) for i, node in enumerate(layer)}
    return pos, sorted(arcs)


def long_arc_dag(seed: int, n: int = 25) -> list[tuple[int, int]]:
    """A TopologicalSort-like grid DAG with long forward arcs (many would pass through node centres)."""
    rng = np.random.default_rng(seed)
    cols = graphs.grid_columns(n)
    arcs = {(u, u + 1) for u in range(n - 1) if (u + 1) % cols and rng.random() < 0.7}
    arcs |= {(u, u + cols) for u in range(n - cols) if rng.random() < 0.7}
    arcs |= {tuple(sorted(int(x) for x in rng.choice(n, 2, replace=False))) for _ in range(6)}
    arcs |= {(0, n - 1), (0, cols - 1), (0, (n // cols - 1) * cols)}  # a diagonal, a row and a column through nodes
    return sorted(arcs)


def assert_labels_clean(pic: GraphPicture) -> None:
    boxes = pic.label_boxes()
    assert not pic.crowded
    placed = [b for b in boxes if b is not None]
    for a, b in itertools.combinations(placed, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    for box in placed:
        assert box[0] >= 0 and box[1] >= pic.band and box[2] <= pic.width and box[3] <= pic.height
        for node in pic.nodes:
            x, y = pic.xy(node)
            cx, cy = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
            assert math.hypot(cx - x, cy - y) >= pic.radius + pic.ring
        for arrow in pic.arrows:
            if arrow is not None:
                xs, ys = [p[0] for p in arrow[1]], [p[1] for p in arrow[1]]
                assert box[2] <= min(xs) or max(xs) <= box[0] or box[3] <= min(ys) or max(ys) <= box[1]


@pytest.mark.parametrize("n", [6, 9, 12, 16, 25, 36])
@pytest.mark.parametrize("size", [384, 512, 768])
def test_weight_labels_never_collide(n, size):
    for seed in range(6):
        edges = weighted_grid_graph(seed, n)
        pic = GraphPicture(graphs.grid_positions(n), edges, labels=[str(w) for *_, w in edges], size=size,
                           caption_lines=2)
        assert_labels_clean(pic)


def test_capacity_labels_on_layered_dags_never_collide():
    for seed in range(15):
        pos, arcs = layered_dag(seed)
        labels = [str(1 + (u * 7 + v * 3) % 10) for u, v in arcs]
        for keep_aspect in (True, False):
            assert_labels_clean(GraphPicture(pos, arcs, labels=labels, directed=True, caption_lines=1,
                                             keep_aspect=keep_aspect))


def test_node_at_round_trips():
    for n, size in ((6, 512), (16, 384), (25, 512)):
        pic = GraphPicture(graphs.grid_positions(n), graphs.dfs_tree(n), size=size, caption_lines=1)
        for node in range(n):
            x, y = pic.xy(node)
            assert pic.node_at(x, y) == node
            assert pic.node_at(x + pic.radius * 0.7, y - pic.radius * 0.7) == node
        assert pic.node_at(1, 1) is None and pic.node_at(pic.width - 1, pic.height - 1) is None
        assert pic.pixels == {k: pic.xy(k) for k in range(n)}


def test_layout_is_centred_below_the_band():
    pic = GraphPicture(graphs.grid_positions(9), graphs.dfs_tree(9), size=512, caption_lines=2)
    xs = [pic.xy(k)[0] for k in range(9)]
    ys = [pic.xy(k)[1] for k in range(9)]
    assert math.isclose(min(xs) + max(xs), 512) and min(ys) - pic.radius > pic.band
    assert math.isclose(min(ys) - pic.band, 512 - max(ys))
    wide = GraphPicture({0: (0, 0), 1: (4, 0), 2: (4, 1)}, [(0, 1), (1, 2)], width=600, height=300)
    assert wide.xy(0)[1] == wide.xy(1)[1] and wide.xy(1)[0] - wide.xy(0)[0] > 400


def test_pictures_are_byte_deterministic():
    edges = weighted_grid_graph(3, 16)
    pos, arcs = layered_dag(4)
    makers = [
        lambda: GraphPicture(graphs.grid_positions(16), edges, labels=[str(w) for *_, w in edges], caption_lines=2)
        .render(fills={0: draw.GREEN}, rings={5: draw.ENTERED}, halo=[0, 3], muted=[4],
                caption=[("query", draw.BLACK), ("walk: 0 - 1", draw.ENTERED)]),
        lambda: GraphPicture(pos, arcs, labels=[str(u + v) for u, v in arcs], directed=True).render(),
        lambda: GraphPicture(graphs.grid_positions(25), long_arc_dag(1), directed=True, size=300).render(),
    ]
    for make in makers:
        assert _digest(make()) == _digest(make())


def test_arcs_avoid_every_other_node():
    for seed in range(8):
        arcs = long_arc_dag(seed)
        pic = GraphPicture(graphs.grid_positions(25), arcs, directed=True)
        need = pic.radius + pic.clearance - 1e-6
        assert any(pic.curved(i) for i in range(len(arcs)))
        for i, (u, v) in enumerate(arcs):
            pts = np.array(pic.paths[i])
            others = np.array([pic.xy(k) for k in range(25) if k not in (u, v)])
            assert segment_distances(pts[:-1], pts[1:], others).min() >= need, (u, v)
            assert pic.curved(i) == bool(pic.blockers(pic.xy(u), pic.xy(v), (u, v)))
            assert all(0 <= x <= pic.width and 0 <= y <= pic.height for x, y in pic.paths[i])
            assert pic.paths[i][0] == pic.xy(u) and pic.paths[i][-1] == pic.xy(v)


def test_grid_edges_stay_straight():
    """Orthogonal and diagonal neighbours never need an arc (the ShortestDistance look)."""
    for n in (9, 16, 25):
        edges = weighted_grid_graph(1, n)
        pic = GraphPicture(graphs.grid_positions(n), edges)
        assert not any(pic.curved(i) for i in range(len(edges)))


def test_opposite_arcs_bow_apart():
    pic = GraphPicture({0: (0, 0), 1: (1, 0)}, [(0, 1), (1, 0)], directed=True)
    assert pic.curved(0) and pic.curved(1)
    mid0, mid1 = pic.paths[0][len(pic.paths[0]) // 2], pic.paths[1][len(pic.paths[1]) // 2]
    assert (mid0[1] - pic.xy(0)[1]) * (mid1[1] - pic.xy(0)[1]) < 0  # one above the chord, one below


def test_touching_and_crossing_edges_differ_in_colour():
    for seed in range(5):
        edges = weighted_grid_graph(seed, 25)
        pic = GraphPicture(graphs.grid_positions(25), edges)
        for i, j in itertools.combinations(range(len(edges)), 2):
            if set(edges[i][:2]) & set(edges[j][:2]) or j in pic.crossings[i]:
                assert pic.colors[i] != pic.colors[j]
        crossing = [(i, j) for i in range(len(edges)) for j in pic.crossings[i]]
        assert all(i in pic.crossings[j] for i, j in crossing)
    x = GraphPicture({0: (0, 0), 1: (1, 1), 2: (1, 0), 3: (0, 1)}, [(0, 1), (2, 3)])
    assert x.crossings == [{1}, {0}] and x.colors[0] != x.colors[1]


def test_arrowheads_stop_at_the_rim():
    pos, arcs = layered_dag(2)
    pic = GraphPicture(pos, arcs, directed=True)
    for (_, v), (shaft, tri) in zip(arcs, pic.arrows):
        tip = tri[0]
        assert math.isclose(math.dist(tip, pic.xy(v)), pic.radius + 1.5, abs_tol=0.5)
        assert math.dist(shaft[-1], pic.xy(v)) > math.dist(tip, pic.xy(v))  # the shaft ends behind the tip
    undirected = GraphPicture(pos, arcs)
    assert undirected.arrows == [None] * len(arcs)


def test_overlays_show():
    edges = [(0, 1), (1, 2), (2, 3)]
    pic = GraphPicture(graphs.grid_positions(4), edges, caption_lines=1)
    plain = pic.render()
    walked = pic.render(rings={2: draw.ENTERED}, halo=pic.walk_edges([0, 1, 2]), muted=[2],
                        fills={0: draw.GREEN}, caption=[("walk", draw.ENTERED)])
    x, y = pic.xy(2)
    assert walked.getpixel((round(x + pic.radius + pic.ring / 2), round(y))) == draw.ENTERED
    assert walked.getpixel((round(pic.xy(0)[0]), round(pic.xy(0)[1] - pic.radius * 0.7))) == draw.GREEN
    (ax, ay), (bx, by) = pic.xy(2), pic.xy(3)
    mid = (round((ax + bx) / 2), round((ay + by) / 2))
    assert walked.getpixel(mid) == MUTED and plain.getpixel(mid) == pic.colors[2]
    assert pic.walk_edges([0, 1, 3, 2]) == [0, 2] and pic.edge_index(1, 0) == 0
    assert _digest(walked) != _digest(plain)


def test_old_draw_graph_still_draws():
    image = draw.draw_graph(draw.grid_layout(7, 3), [(0, 1, "3"), (1, 5, "12"), (2, 6, None)], size=200,
                            directed=True, node_fill={0: draw.GREEN}, edge_color={(0, 1): draw.RED})
    assert image.size == (200, 200) and len(image.getcolors(1 << 16)) > 3
