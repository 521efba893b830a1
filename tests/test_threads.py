"""smolml.set_num_threads / get_num_threads / num_threads and train(threads=...),
checked against threadpoolctl's own reading of the BLAS libraries NumPy loaded."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import smolml
from smolml import _threads
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers


def blas_threads():
    """The thread count of every BLAS library loaded, read by a fresh threadpoolctl scan."""
    return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()
            if pool["user_api"] == "blas"}


needs_blas = pytest.mark.skipif(not blas_threads(), reason="NumPy loaded no BLAS library "
                                                           "threadpoolctl can set")


@pytest.fixture(autouse=True)
def restore_threads():
    limiter = threadpool_limits(limits=None)   # changes nothing, restores at the end
    yield
    limiter.restore_original_limits()


@needs_blas
def test_get_is_what_the_blas_reports():
    assert smolml.get_num_threads() == max(blas_threads().values())


@needs_blas
def test_set_reaches_every_blas_library():
    smolml.set_num_threads(1)
    assert set(blas_threads().values()) == {1}
    assert smolml.get_num_threads() == 1
    smolml.set_num_threads(2)
    assert set(blas_threads().values()) == {2}


@needs_blas
def test_context_manager_restores_the_previous_counts():
    smolml.set_num_threads(2)
    with smolml.num_threads(1):
        assert set(blas_threads().values()) == {1}
    assert set(blas_threads().values()) == {2}
    with pytest.raises(RuntimeError):
        with smolml.num_threads(1):
            raise RuntimeError("inside")
    assert set(blas_threads().values()) == {2}


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                        (True, TypeError), ("2", TypeError), (None, TypeError)])
def test_bad_counts_name_the_argument(bad, error):
    before = blas_threads()
    with pytest.raises(error, match="n must be"):
        smolml.set_num_threads(bad)
    with pytest.raises(error, match="n must be"):
        with smolml.num_threads(bad):
            pass
    assert blas_threads() == before


def test_candidates_are_one_and_the_cores():
    cores = _threads.cpu_count()
    assert _threads.candidates() == ((1,) if cores == 1 or not blas_threads() else (1, cores))


def network(threads_seen):
    def recording_loss(y_pred, y_true):
        threads_seen.append(max(blas_threads().values(), default=1))
        return losses.mse_loss(y_pred, y_true)
    return NeuralNetwork([DenseLayer(3, 4, activation.tanh), DenseLayer(4, 2)],
                         recording_loss, optimizers.SGD(0.1))


@needs_blas
def test_train_runs_its_steps_on_a_fixed_count_and_restores(backend):
    smolml.set_num_threads(2)
    seen = []
    rng = np.random.default_rng(0)
    network(seen).train(rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), epochs=2,
                        batch_size=4, verbose=False, threads=1)
    assert seen == [1, 1, 1, 1]
    assert set(blas_threads().values()) == {2}


@pytest.mark.parametrize("bad, error", [("fast", ValueError), (0, ValueError),
                                        (2.0, TypeError), (True, TypeError)])
def test_bad_threads_fail_before_any_step(backend, bad, error):
    seen = []
    net = network(seen)
    before = [p.numpy().copy() for p in net.parameters()]
    with pytest.raises(error, match="threads must be"):
        net.train(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=False, threads=bad)
    assert seen == []
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, net.parameters()))


class BusyMachine:
    """A fake clock and step: a step at n threads takes `cost[n]` seconds."""

    def __init__(self, cost):
        self.now, self.cost, self.policy = 0.0, dict(cost), None

    def clock(self):
        return self.now

    def step(self):
        # The count the step really ran on, read from the BLAS itself.
        n = max(blas_threads().values())
        assert n == self.policy.current
        self.now += self.cost[n]
        return n


@needs_blas
def test_auto_follows_the_faster_count_as_the_load_changes(monkeypatch):
    monkeypatch.setattr(_threads, "candidates", lambda: (1, 2))
    machine = BusyMachine({1: 0.010, 2: 0.006})       # idle: two threads win
    policy = _threads.TrainingThreads("auto", clock=machine.clock)
    machine.policy = policy
    with policy:
        ran = [policy.step(machine.step) for _ in range(20)]
        # warm-up + 3 timed at 1, warm-up + 3 timed at 2, then the faster one
        assert ran[:8] == [1, 1, 1, 1, 2, 2, 2, 2]
        assert set(ran[8:]) == {2}
        assert policy.timings == pytest.approx({1: 0.010, 2: 0.006})
        machine.cost = {1: 0.010, 2: 0.050}           # a neighbour takes a core
        ran = [policy.step(machine.step) for _ in range(400)]
        assert ran[-1] == 1 and policy.current == 1
        # the slow count ran only until the next check
        slow_steps = ran.index(1)
        assert slow_steps * 0.050 <= policy.RECHECK_SECONDS + 4 * 0.050
        machine.cost = {1: 0.010, 2: 0.006}           # the core is free again
        ran = [policy.step(machine.step) for _ in range(800)]
        assert ran[-1] == 2


@needs_blas
def test_checks_cost_a_bounded_share_of_slow_steps(monkeypatch):
    monkeypatch.setattr(_threads, "candidates", lambda: (1, 2))
    machine = BusyMachine({1: 1.0, 2: 3.0})           # long steps: checks spread out
    policy = _threads.TrainingThreads("auto", clock=machine.clock)
    machine.policy = policy
    with policy:
        ran = [policy.step(machine.step) for _ in range(400)]
    time_at_slow = ran.count(2) * 3.0
    assert time_at_slow <= machine.now / policy.RECHECK_RATIO * 1.5


def test_fixed_count_never_times():
    calls = []
    policy = _threads.TrainingThreads(1, clock=lambda: calls.append(1) or 0.0)
    with policy:
        assert [policy.step(lambda: 7) for _ in range(5)] == [7] * 5
    assert calls == []


@needs_blas
def test_a_count_far_slower_at_warm_up_is_not_timed_further(monkeypatch):
    monkeypatch.setattr(_threads, "candidates", lambda: (1, 2))
    machine = BusyMachine({1: 0.010, 2: 0.050})       # two threads fight for one core
    policy = _threads.TrainingThreads("auto", clock=machine.clock)
    machine.policy = policy
    with policy:
        ran = [policy.step(machine.step) for _ in range(10)]
    assert ran == [1, 1, 1, 1, 2] + [1] * 5
    assert policy.timings == pytest.approx({1: 0.010, 2: 0.050})


@needs_blas
def test_a_new_policy_for_the_same_workload_keeps_the_last_choice(monkeypatch):
    monkeypatch.setattr(_threads, "candidates", lambda: (1, 2))
    monkeypatch.setattr(_threads.TrainingThreads, "_recent", {})
    machine = BusyMachine({1: 0.010, 2: 0.006})
    for expected_timed in (True, False):
        policy = _threads.TrainingThreads("auto", clock=machine.clock, workload="w")
        machine.policy = policy
        with policy:
            ran = [policy.step(machine.step) for _ in range(10)]
        assert (ran[0] == 1) == expected_timed       # the second starts on 2 threads
        assert ran[-1] == 2
    other = _threads.TrainingThreads("auto", clock=machine.clock, workload="other")
    assert other.current == 1 and other.timings == {}
    machine.now += 10.0                               # past the deadline: time again
    again = _threads.TrainingThreads("auto", clock=machine.clock, workload="w")
    assert again.timings == {}


@needs_blas
def test_info_prints_each_blas_kernel_and_threads():
    from smolml import _info
    smolml.set_num_threads(1)
    text = _info.format_info(_info.collect())
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            line = next(line for line in text.splitlines() if pool["filepath"] in line)
            assert f"kernel {pool['architecture']}" in line
            assert "threads 1 on" in line
