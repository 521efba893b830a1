"""`smolml.draw_dot`: the computation graph behind a result, as Graphviz DOT text.

Each graph node becomes one box: the op that made it (`leaf` for inputs and
parameters), its shape (`scalar` for a Value), its data and its gradient. Arrows run
from each parent to the node computed from it, so the output sits at the right.
The walk starts at the output and follows `_prev` breadth-first with a queue (no
recursion), so the nodes nearest the output are the ones kept when the graph is
larger than `max_nodes`.

On the engine an MLArray is one node per operation. On the pure backend an MLArray
is a grid of scalar Values, each its own node, so the drawing starts from every
element of the array.
"""
import collections
import os
import shutil
import subprocess

import numpy as np

from smolml import _backend

INSTALL_HINT = ("install Graphviz, which provides it: `apt-get install graphviz` (Debian, "
                "Ubuntu), `brew install graphviz` (macOS) or `conda install graphviz`")
FORMATS = ("svg", "png", "pdf")
SHOWN_ELEMENTS = 4          # arrays up to this size show every number; larger ones a summary


class DotGraph:
    """A drawn graph: `str(graph)` and `graph.source` are the DOT text; `render(path)`
    writes an image with Graphviz's `dot`; notebooks show it inline as SVG."""

    def __init__(self, source, nodes, omitted):
        self.source = source
        self.nodes = nodes          # graph nodes drawn
        self.omitted = omitted      # graph nodes left out (max_nodes)

    def __str__(self):
        return self.source

    def __repr__(self):
        extra = f", {self.omitted} left out" if self.omitted else ""
        return f"<DotGraph: {self.nodes} nodes{extra}; str() gives the DOT text>"

    def render(self, path):
        """Write the image to `path`, its format (svg, png or pdf) taken from the
        extension; returns the path. RuntimeError when `dot` is not installed."""
        path = os.fspath(path)
        extension = os.path.splitext(path)[1].lstrip(".").lower()
        if extension not in FORMATS:
            raise ValueError(f"render: cannot tell the image format from {path!r}; "
                             f"end the path with one of {', '.join('.' + f for f in FORMATS)}")
        image = _run_dot(self.source, extension)
        with open(path, "wb") as out:
            out.write(image)
        return path

    def _repr_svg_(self):
        # Notebooks call this to show the object; without dot they fall back to repr.
        if shutil.which("dot") is None:
            return None
        return _run_dot(self.source, "svg").decode("utf-8")


def _run_dot(source, fmt):
    executable = shutil.which("dot")
    if executable is None:
        raise RuntimeError(f"rendering a graph needs Graphviz's `dot` program, which is not on "
                           f"the PATH; {INSTALL_HINT}. The DOT text itself is str(graph).")
    finished = subprocess.run([executable, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"dot failed: {finished.stderr.decode('utf-8', 'replace').strip()}")
    return finished.stdout


def _roots(obj):
    if _backend.backend_of(obj) is None:
        raise TypeError(f"draw_dot needs a Value or an MLArray; got {type(obj).__name__}")
    if hasattr(obj, "_prev"):
        return [obj]
    # a pure-backend MLArray: its elements are the graph's nodes
    flat, stack = [], [obj.data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            flat.append(item)
    return flat


def _numbers(text_of, values):
    values = np.asarray(values, dtype=np.float64)
    if values.size <= SHOWN_ELEMENTS:
        items = [text_of(x) for x in values.ravel()]
        return items[0] if values.ndim == 0 else "[" + ", ".join(items) + "]"
    return f"min {text_of(values.min())} max {text_of(values.max())}"


def _number(x):
    return f"{float(x):.4g}"


def _describe(node):
    """(op, shape, data, grad) texts of one graph node."""
    op = node._op or "leaf"
    if hasattr(node, "update_values"):           # an MLArray
        shape = "shape " + str(tuple(node.shape))
        return (op, shape, "data " + _numbers(_number, node.numpy()),
                "grad " + _numbers(_number, node.grad().numpy()))
    return op, "scalar", "data " + _number(node.data), "grad " + _number(node.grad)


def _escape(text):
    for special in '\\{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


def draw_dot(value, max_nodes=200):
    """The computation graph of `value` (a Value or MLArray) as a `DotGraph`.

    Nodes are found breadth-first from `value` through `_prev`; at most `max_nodes`
    are drawn, and a note node says how many were left out (every parent that was
    left out points to it). Node names are n0 (the output), n1, ... in that order,
    and edges follow each node's `_prev` order, so the text is deterministic.
    Arrays of more than 4 elements show their min and max instead of every number.
    """
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1; got {max_nodes}")
    names = {}              # id(node) -> "n<k>" for the nodes drawn
    seen = set()            # ids of every node met, drawn or not
    keep = []               # the nodes met, in order: holds them alive so ids stay unique
    queue = collections.deque()
    for root in _roots(value):
        if id(root) not in seen:
            seen.add(id(root))
            keep.append(root)
            queue.append(root)
    drawn = []
    while queue:
        node = queue.popleft()
        if len(drawn) < max_nodes:
            names[id(node)] = f"n{len(drawn)}"
            drawn.append((node, tuple(node._prev)))
            parents = drawn[-1][1]
        else:
            parents = tuple(node._prev)
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                keep.append(parent)
                queue.append(parent)
    omitted = len(seen) - len(drawn)

    lines = ["digraph smolml {", "  rankdir=LR;", "  node [shape=record, fontname=Helvetica];"]
    for node, _ in drawn:
        label = " | ".join(_escape(part) for part in _describe(node))
        lines.append(f'  {names[id(node)]} [label="{{ {label} }}"];')
    if omitted:
        lines.append(f'  omitted [shape=note, label="{omitted} more node'
                     f'{"s" * (omitted != 1)} not drawn (max_nodes={max_nodes})"];')
    cut = []
    for node, parents in drawn:
        child = names[id(node)]
        for parent in parents:
            if id(parent) in names:
                lines.append(f"  {names[id(parent)]} -> {child};")
            elif child not in cut:
                cut.append(child)
    lines.extend(f"  omitted -> {child} [style=dashed];" for child in cut)
    lines.append("}")
    return DotGraph("\n".join(lines) + "\n", len(drawn), omitted)
