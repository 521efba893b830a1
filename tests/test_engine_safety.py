"""Nothing a user can call crashes the interpreter: objects made without __init__, Value
nodes built by hand from bad children, and __init__ run again on a live array.

Each case runs in a fresh interpreter, so a crash fails the test with its program."""
import subprocess
import sys
import textwrap

import pytest

from conftest import AVAILABLE_BACKENDS


def run(backend, *pieces):
    """Run the program of `pieces` (each dedented) with smolml's backend `backend`;
    returns (stdout, stderr)."""
    code = "\n".join([f"import smolml\nsmolml.set_backend({backend!r})"]
                     + [textwrap.dedent(piece) for piece in pieces])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"exit {result.returncode}:\n{code}\n{result.stderr}"
    return result.stdout, result.stderr


def expect_error(statement, error):
    """A program that runs `statement`, printing the exception's type and message."""
    return f"try:\n    {statement}\nexcept {error} as e:\n    print('raised:', type(e).__name__, e)\nelse:\n    print('no error')"


BAD_CHILDREN = {
    "int": ("(1, 2)", "got 1 (int)"),
    "str": ("('a',)", "got 'a' (str)"),
    "numpy scalar": ("(np.float64(1.0),)", "(float64)"),
    "list": ("([Value(1.0)],)", "(list)"),
    "MLArray": ("(smolml.MLArray([1.0]),)", "MLArray"),
}


@pytest.mark.parametrize("backend_name", AVAILABLE_BACKENDS)
@pytest.mark.parametrize("kind", sorted(BAD_CHILDREN))
def test_a_hand_built_value_rejects_children_that_are_not_values(backend_name, kind):
    children, named = BAD_CHILDREN[kind]
    out, _ = run(backend_name, "import numpy as np\nfrom smolml import Value",
                 expect_error(f"Value(1.0, _children={children}, _op='+').backward()",
                              "TypeError"))
    assert out.startswith("raised: TypeError Value's _children must be Values"), out
    assert named in out


def test_a_child_of_the_other_backend_is_the_mixing_error():
    if len(AVAILABLE_BACKENDS) < 2:
        pytest.skip("needs both backends")
    for mine, other in (("engine", "pure"), ("pure", "engine")):
        out, _ = run(mine, f"""
            from smolml import Value
            with smolml.use_backend({other!r}):
                child = Value(2.0)
            """, expect_error("Value(1.0, _children=(child,), _op='+').backward()",
                              "TypeError"))
        assert "raised: TypeError cannot mix objects" in out, out


ENGINE = pytest.mark.skipif("engine" not in AVAILABLE_BACKENDS, reason="engine not built")


@ENGINE
@pytest.mark.parametrize("use, expected", [
    ("a.numpy().tolist()", "0.0"),
    ("a.to_list()", "0.0"),
    ("repr(a)", "MLArray(shape=(), data=0.0)"),
    ("(a + 1).item()", "1.0"),
    ("a.grad().item()", "0.0"),
    ("a.data.data", "0.0"),
    ("a.sum().item()", "0.0"),
])
def test_an_mlarray_made_without_init_is_a_valid_0d_zero(use, expected):
    """MLArray.__new__ (or a subclass whose __init__ skips super().__init__) gives a 0-d
    array holding 0.0, as Value.__new__ gives Value(0.0): nothing reads a NULL buffer."""
    for make in ("MLArray.__new__(MLArray)", "Skipping()"):
        out, _ = run("engine", f"""
            from smolml._engine.graph import MLArray
            class Skipping(MLArray):
                def __init__(self):
                    pass
            a = {make}
            print({use})
            a.backward()
            print(a.shape, a.grad().item())
            """)
        assert out.split("\n")[:2] == [expected, "() 0.0"], out     # it tracks nothing


@ENGINE
def test_a_node_made_without_init_is_a_valid_0d_zero():
    out, _ = run("engine", """
        from smolml._engine.graph import Node, MLArray, Value
        n = Node.__new__(Node)
        print((MLArray([1.0, 2.0]) + n).to_list(), MLArray(n).item())
        """)
    assert out.strip() == "[1.0, 2.0] 0.0"


@ENGINE
def test_an_mlarray_made_without_init_can_be_initialized_once():
    out, _ = run("engine", """
        from smolml._engine.graph import MLArray
        a = MLArray.__new__(MLArray)
        a.__init__([[1.0, 2.0], [3.0, 4.0]])
        (a * a).sum().backward()
        print(a.to_list(), a.grad().to_list())
        """)
    assert out.strip() == "[[1.0, 2.0], [3.0, 4.0]] [[2.0, 4.0], [6.0, 8.0]]"


REINIT = [
    # (setup, the object re-initialized, new data)
    ("a = MLArray([1.0, 2.0, 3.0]); h = a.data[0]; a.grad()", "a", "[[1.0] * 1000] * 1000"),
    ("a = MLArray([1.0, 2.0, 3.0]); (a * 2).sum().backward()", "a", "[[1.0] * 1000] * 1000"),
    ("a = MLArray([[1.0, 2.0], [3.0, 4.0]]); v = a[0, 0]", "v", "[1.0, 2.0] * 1000"),
    ("a = MLArray([1.0, 2.0]); b = (a * 3).exp()", "b", "[5.0] * 1000"),
    ("a = MLArray(np.ones((30, 30)))", "a", "np.ones(3)"),
]


@pytest.mark.parametrize("backend_name", AVAILABLE_BACKENDS)
@pytest.mark.parametrize("setup, target, data", REINIT)
def test_init_again_on_a_live_array_is_refused(backend_name, setup, target, data):
    out, _ = run(backend_name, f"""
        import numpy as np
        from smolml import MLArray
        {setup}
        before = {target}.to_list()
        """, expect_error(f"{target}.__init__({data})", "RuntimeError"), f"""
        assert {target}.to_list() == before
        h = a.data[0] if a.ndim == 1 else a.data[0][0]
        h.data = 7.0
        (a * 2).sum().backward()
        print(a.to_list(), a.grad().to_list())
        """)
    first, second = out.strip().split("\n")
    assert first.startswith("raised: RuntimeError cannot re-initialize an MLArray"), out


@ENGINE
def test_init_again_on_an_element_handle_is_refused():
    out, _ = run("engine", """
        from smolml import MLArray
        a = MLArray([1.0, 2.0])
        h = a.data[0]
        """, expect_error("h.__init__(5.0)", "RuntimeError"), """
        print(h.data, a.to_list())
        """)
    assert out.startswith("raised: RuntimeError cannot re-initialize a Value that is a handle")
    assert out.strip().endswith("1.0 [1.0, 2.0]")


@pytest.mark.parametrize("backend_name", AVAILABLE_BACKENDS)
def test_init_again_on_a_made_value_makes_it_a_fresh_leaf(backend_name):
    out, _ = run(backend_name, """
        from smolml import Value
        a = Value(2.0)
        b = a * 3.0
        b.backward()
        b.__init__(5.0)
        print(b.data, b.grad, b._prev, repr(b._op))
        c = b * b
        c.backward()
        print(b.grad, a.grad)
        """)
    assert out.split("\n")[:2] == ["5.0 0.0 () ''", "10.0 3.0"]
