"""Memory is owned by the graph: buffers go with their last reference, long chains
free and backpropagate without recursion, and a training loop's memory stays flat."""
import gc
import tracemalloc

import numpy as np
import pytest

import smolml
from smolml import _backend

if _backend.engine_available():
    from smolml._engine import release_buffer_pool

pytestmark = pytest.mark.skipif(not _backend.engine_available(),
                                reason="the compiled engine is not built")


@pytest.fixture(autouse=True)
def engine():
    with smolml.use_backend("engine"):
        yield


def test_buffers_are_freed_with_the_last_reference():
    release_buffer_pool()
    tracemalloc.start()
    try:
        x = smolml.MLArray(np.ones((1000, 1000)))        # 8 MB
        before = tracemalloc.get_traced_memory()[0]
        y = (x * 2.0 + 1.0).tanh().sum()                 # three 8 MB intermediates
        y.backward()
        held = tracemalloc.get_traced_memory()[0]
        del y
        pooled = release_buffer_pool()                   # dead buffers kept for reuse
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held - before > 3 * 8_000_000                 # the graph held its buffers
    assert pooled <= 16 * 8_000_000                      # at most POOL_PER_SHAPE kept
    assert after - before < 9_000_000                    # ...and let them go (x's grad stays)


def test_recycled_buffers_are_reused_not_accumulated():
    release_buffer_pool()
    x = smolml.MLArray(np.ones((200, 200)))
    for _ in range(50):
        (x * 2.0 + 1.0).sum().backward()
    assert release_buffer_pool() <= 16 * 200 * 200 * 8   # one shape, at most 16 buffers
    np.testing.assert_allclose(x.grad().numpy(), np.full((200, 200), 100.0))


def test_million_deep_chain_backpropagates_and_frees():
    gc.collect()
    gc.disable()                     # only reference counting may free the chain
    try:
        x = smolml.Value(0.5)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0 + 0.0
        y.backward()
        assert x.grad == 1.0
        del y                        # frees 3,000,000 nodes without recursing
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_million_deep_array_chain_frees():
    x = smolml.MLArray([1.0, 2.0])
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    del y
    assert x.to_list() == [1.0, 2.0]


def mlp_step(X, Y, params, lr=0.05):
    W1, b1, W2, b2 = params
    hidden = (X @ W1 + b1).tanh()
    out = hidden @ W2 + b2
    loss = ((out - Y) ** 2).mean()
    loss.backward()
    with smolml.no_grad():
        for p in params:
            p.update_values(p - lr * p.grad())
    for p in params:
        p.restart()
    return loss.to_list()


def test_training_loop_memory_is_flat_over_10000_steps():
    smolml.manual_seed(0)
    rng = np.random.default_rng(0)
    X = smolml.MLArray(rng.normal(size=(32, 8)), requires_grad=False)
    Y = smolml.MLArray(rng.normal(size=(32, 1)), requires_grad=False)
    params = [smolml.randn(8, 16) * 0.3, smolml.zeros(1, 16), smolml.randn(16, 1) * 0.3,
              smolml.zeros(1, 1)]
    params = [smolml.MLArray(p.numpy()) for p in params]
    for _ in range(500):                                # warm-up: caches, allocator pools
        mlp_step(X, Y, params)
    gc.disable()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        first = mlp_step(X, Y, params)
        for _ in range(10_000):
            last = mlp_step(X, Y, params)
        growth = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
        gc.enable()
    assert last < first                                 # it trained
    assert growth < 64 * 1024, f"memory grew by {growth} bytes over 10,000 steps"


# ---- the region Values live in (graph.pyx, value_alloc)

def region_live():
    from smolml._engine.graph import value_region_stats
    return value_region_stats()[0]


def test_freed_values_leave_the_region_and_their_slots_are_reused():
    from smolml._engine.graph import value_region_stats
    before = region_live()
    for _ in range(5):
        x = smolml.Value(0.5)
        y = x
        for _ in range(20_000):
            y = y * 1.0001 + 0.001
        y.backward()
        expected = 1.0001 ** 20_000                 # dy/dx of the affine chain
        assert x.grad == pytest.approx(expected, rel=1e-9)
        high = value_region_stats()[1]
        del x, y
        assert region_live() == before               # every node of the chain was freed
    assert value_region_stats()[1] == high           # later chains reused the same slots


def test_more_values_than_the_region_holds_fall_back_to_python():
    from smolml._engine.graph import value_region_stats
    slots = 524_288                                 # VALUE_SLOTS in graph.pyx
    x = smolml.Value(0.5)
    y = x
    for _ in range(slots + 10_000):                 # past the region's last slot
        y = y * 1.0000001
    y.backward()
    assert x.grad == pytest.approx(1.0000001 ** (slots + 10_000), rel=1e-6)
    live_with_chain = region_live()
    del y
    assert live_with_chain > 0.99 * value_region_stats()[1]     # the region was full...
    assert region_live() < 100                      # ...and every chain node left it


def test_a_python_subclass_of_value_still_works():
    from smolml._engine.graph import Value as EngineValue

    class Named(EngineValue):
        label = "w"

    w = Named(3.0)
    y = w * 3.0 + w * w                          # with numbers and with itself
    y.backward()
    assert (w.label, y.data, w.grad) == ("w", 18.0, 9.0)   # d/dw (3w + w²) = 3 + 2w
    del w, y
