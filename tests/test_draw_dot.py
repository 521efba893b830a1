"""smolml.draw_dot: the DOT text of small graphs, the node cap, and rendering with and
without Graphviz's `dot`."""
import os
import re
import shutil
import stat
import sys

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value
from smolml import _graph_drawing
from smolml._graph_drawing import DotGraph, draw_dot

EXPECTED_A_TIMES_B_PLUS_C = """\
digraph smolml {
  rankdir=LR;
  node [shape=record, fontname=Helvetica];
  n0 [label="{ + | scalar | data 4 | grad 1 }"];
  n1 [label="{ * | scalar | data -6 | grad 1 }"];
  n2 [label="{ leaf | scalar | data 10 | grad 1 }"];
  n3 [label="{ leaf | scalar | data 2 | grad -3 }"];
  n4 [label="{ leaf | scalar | data -3 | grad 2 }"];
  n1 -> n0;
  n2 -> n0;
  n3 -> n1;
  n4 -> n1;
}
"""


def edges(source):
    return re.findall(r"^  (\w+) -> (\w+)", source, flags=re.MULTILINE)


def labels(source):
    return dict(re.findall(r'^  (\w+) \[label="\{ (.*) \}"\];', source, flags=re.MULTILINE))


def test_a_times_b_plus_c(backend):
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    y = a * b + c
    y.backward()
    graph = draw_dot(y)
    assert isinstance(graph, DotGraph)
    assert str(graph) == graph.source == EXPECTED_A_TIMES_B_PLUS_C
    assert graph.nodes == 5 and graph.omitted == 0


def test_a_times_b_plus_c_before_backward_shows_zero_grads(backend):
    y = Value(2.0) * Value(-3.0) + Value(10.0)
    found = labels(draw_dot(y).source)
    assert found["n0"] == "+ | scalar | data 4 | grad 0"
    assert all(text.endswith("grad 0") for text in found.values())


def test_edges_follow_prev_order_for_non_commutative_ops(backend):
    a, b = Value(5.0), Value(2.0)
    source = draw_dot(a - b).source
    found = labels(source)
    assert found["n1"].endswith("data 5 | grad 0") and found["n2"].endswith("data 2 | grad 0")
    assert edges(source) == [("n1", "n0"), ("n2", "n0")]


def test_shared_node_is_drawn_once(backend):
    x = Value(3.0)
    y = x * x
    source = draw_dot(y).source
    assert len(labels(source)) == 2
    assert edges(source) == [("n1", "n0"), ("n1", "n0")]


def test_engine_arrays_are_one_node_per_operation():
    if "engine" not in smolml.BACKENDS or not smolml._backend.engine_available():
        pytest.skip("the engine is not built")
    with smolml.use_backend("engine"):
        a = MLArray([[1.0, 2.0], [3.0, 4.0]])
        b = MLArray(np.arange(6.0).reshape(2, 3))
        c = MLArray([0.5, -0.5, 1.0])
        y = a @ b + c
        y.backward()
        source = draw_dot(y).source
    found = labels(source)
    # a @ b = [[6, 9, 12], [12, 19, 26]]; with ones as the output gradient,
    # da = 1 bᵀ (row sums of b), db = aᵀ 1 (column sums of a), dc = 2 per column.
    # `a @ b + c` is one node: the sum with the bias is fused into the product.
    assert found["n0"] == "linear | shape (2, 3) | data min 6.5 max 27 | grad min 1 max 1"
    assert found["n1"] == "leaf | shape (2, 2) | data [1, 2, 3, 4] | grad [3, 12, 3, 12]"
    assert found["n2"] == "leaf | shape (2, 3) | data min 0 max 5 | grad min 4 max 6"
    assert found["n3"] == "leaf | shape (3,) | data [0.5, -0.5, 1] | grad [2, 2, 2]"
    assert edges(source) == [("n1", "n0"), ("n2", "n0"), ("n3", "n0")]


def test_pure_arrays_draw_every_element():
    with smolml.use_backend("pure"):
        a = MLArray([1.0, 2.0])
        y = a * 3.0
        source = draw_dot(y).source
    found = labels(source)
    # the roots are the two "*" elements; their inputs are the two elements of a and
    # the number 3.0, one constant node that both read
    assert found["n0"] == "* | scalar | data 3 | grad 0"
    assert found["n1"] == "* | scalar | data 6 | grad 0"
    assert sorted(text.split(" | ")[0] for text in found.values()) == ["*", "*", "leaf", "leaf",
                                                                       "leaf"]
    assert len(edges(source)) == 4


def test_cap_with_a_note_of_what_was_left_out(backend):
    x = Value(0.1)
    y = x
    for _ in range(50):
        y = y.tanh()
    graph = draw_dot(y, max_nodes=10)
    assert graph.nodes == 10 and graph.omitted == 41
    found = labels(graph.source)
    assert sorted(found) == sorted(f"n{i}" for i in range(10))
    assert all(text.startswith("tanh") for text in found.values())
    assert 'omitted [shape=note, label="41 more nodes not drawn (max_nodes=10)"];' in graph.source
    # the deepest drawn node's parent was left out: the note points to it
    assert "  omitted -> n9 [style=dashed];" in graph.source
    assert "41 left out" in repr(graph)


def test_deep_chain_is_walked_without_recursion(backend):
    x = Value(0.5)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y + x
    graph = draw_dot(y, max_nodes=3)
    assert graph.nodes == 3
    assert graph.omitted == sys.getrecursionlimit() * 3 + 1 - 3


def test_bad_arguments(backend):
    with pytest.raises(TypeError, match="Value or an MLArray"):
        draw_dot(3.0)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(Value(1.0), max_nodes=0)


def small_graph():
    return draw_dot(Value(2.0) * Value(3.0))


def test_render_without_dot_says_how_to_install(monkeypatch, tmp_path, backend):
    monkeypatch.setattr(_graph_drawing.shutil, "which", lambda name: None)
    graph = small_graph()
    with pytest.raises(RuntimeError) as caught:
        graph.render(tmp_path / "graph.svg")
    message = str(caught.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert hint in message
    assert graph._repr_svg_() is None
    assert not (tmp_path / "graph.svg").exists()


def test_render_calls_dot_with_the_format_of_the_extension(monkeypatch, tmp_path):
    # a stand-in `dot` that records its arguments and its input
    log = tmp_path / "log.txt"
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\n"
                    "import sys\n"
                    f"open({str(log)!r}, 'w').write(' '.join(sys.argv[1:]) + '\\n' + sys.stdin.read())\n"
                    "sys.stdout.write('<svg>stand-in</svg>')\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent))
    graph = small_graph()
    written = graph.render(tmp_path / "graph.png")
    assert written == os.fspath(tmp_path / "graph.png")
    assert (tmp_path / "graph.png").read_text() == "<svg>stand-in</svg>"
    arguments, dot_input = log.read_text().split("\n", 1)
    assert arguments == "-Tpng"
    assert dot_input == graph.source
    assert graph._repr_svg_() == "<svg>stand-in</svg>"
    with pytest.raises(ValueError, match="image format"):
        graph.render(tmp_path / "graph.txt")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_with_graphviz(tmp_path, backend):
    x = MLArray([[1.0, -2.0], [0.5, 3.0]])
    loss = (x.tanh() * 2.0).sum()
    loss.backward()
    graph = draw_dot(loss)
    svg_path = graph.render(tmp_path / "graph.svg")
    with open(svg_path) as svg:
        assert "<svg" in svg.read()
    png = (tmp_path / "graph.png")
    graph.render(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in graph._repr_svg_()
