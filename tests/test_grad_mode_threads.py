"""Grad mode and the backend choice across threads and asyncio tasks.

Grad mode is per thread, as in PyTorch; `set_backend` is process-wide and
`use_backend` is local to its thread or task. The oracles: the same computations run
one after another in one thread, and what recording means (a result that requires a
gradient, a gradient that reaches the leaves).
"""
import asyncio
import threading

import numpy as np
import pytest

import smolml
from smolml import MLArray, Value
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, losses, optimizers

from conftest import AVAILABLE_BACKENDS

TIMEOUT = 60


def run_in_threads(*bodies):
    """Run each body in its own thread; re-raise the first failure in this thread."""
    errors = []

    def guarded(body):
        try:
            body()
        except BaseException as error:          # noqa: BLE001 - re-raised below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_another_from_recording(backend):
    inside, done = threading.Event(), threading.Event()

    def evaluator():
        with smolml.use_backend(backend), smolml.no_grad():
            inside.set()
            assert done.wait(TIMEOUT)
            assert (MLArray([1.0, 2.0]) * 2).requires_grad is False

    def trainer():
        with smolml.use_backend(backend):
            assert inside.wait(TIMEOUT)
            try:
                w = MLArray([[1.0, 2.0], [3.0, 4.0]])
                x = Value(3.0)
                loss = (w * w).sum()
                y = x * x
                loss.backward()
                y.backward()
                np.testing.assert_array_equal(w.grad().numpy(), 2 * w.numpy())
                assert x.grad == 6.0
                assert smolml.is_grad_enabled()
            finally:
                done.set()

    run_in_threads(evaluator, trainer)


def test_overlapping_no_grad_blocks_in_two_threads_leave_grad_mode_on(backend):
    # A enters, B enters, A leaves, B leaves: with one process-wide flag, B would
    # restore the "off" it found and recording would stay off for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with smolml.use_backend(backend):
            with smolml.no_grad():
                a_in.set()
                assert b_in.wait(TIMEOUT)
            a_out.set()
            assert smolml.is_grad_enabled()

    def b():
        with smolml.use_backend(backend):
            assert a_in.wait(TIMEOUT)
            with smolml.no_grad():
                b_in.set()
                assert a_out.wait(TIMEOUT)
            assert smolml.is_grad_enabled()

    run_in_threads(a, b)
    assert smolml.is_grad_enabled()
    assert (MLArray([1.0]) * 2).requires_grad


def test_one_no_grad_object_shared_by_threads(backend):
    shared = smolml.no_grad()
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def body():
        with smolml.use_backend(backend):
            for _ in range(20):
                with shared:
                    barrier.wait()
                    assert not smolml.is_grad_enabled()
                barrier.wait()
                assert smolml.is_grad_enabled()

    run_in_threads(body, body)


def test_a_new_thread_starts_with_grad_mode_on(backend):
    seen = []
    with smolml.no_grad():
        thread = threading.Thread(target=lambda: seen.append(smolml.is_grad_enabled()))
        thread.start()
        thread.join(TIMEOUT)
        assert not smolml.is_grad_enabled()
    assert seen == [True]


def network(seed):
    smolml.manual_seed(seed)
    return NeuralNetwork([DenseLayer(4, 8, activation.tanh), DenseLayer(8, 3, activation.softmax)],
                         losses.categorical_cross_entropy, optimizers.Adam(learning_rate=0.05))


def training_data(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 4))
    y = np.eye(3)[rng.integers(0, 3, size=40)]
    return X, y


def test_two_threads_training_their_own_networks_match_single_threaded_runs(backend):
    # The networks are built (and their weights drawn) before the threads start, and
    # training draws nothing (one batch, no shuffle), so the only thing the threads
    # share is grad mode: a third thread keeps entering and leaving no_grad meanwhile.
    def fresh():
        return [network(seed) for seed in (1, 2)], [training_data(seed) for seed in (1, 2)]

    nets, data = fresh()
    expected = [net.train(X, y, epochs=25, verbose=False, shuffle=False)
                for net, (X, y) in zip(nets, data)]
    expected_weights = [[p.numpy() for p in net.parameters()] for net in nets]

    nets, data = fresh()
    results = [None, None]
    stop = threading.Event()

    def trainer(i):
        def body():
            with smolml.use_backend(backend):
                X, y = data[i]
                results[i] = nets[i].train(X, y, epochs=25, verbose=False, shuffle=False)
        return body

    def evaluator():
        with smolml.use_backend(backend):
            probe = MLArray(np.ones((4, 4)))
            while not stop.is_set():
                with smolml.no_grad():
                    (probe @ probe).sum()

    toggler = threading.Thread(target=evaluator)
    toggler.start()
    try:
        run_in_threads(trainer(0), trainer(1))
    finally:
        stop.set()
        toggler.join(TIMEOUT)
    assert results == expected
    for net, weights in zip(nets, expected_weights):
        for param, want in zip(net.parameters(), weights):
            np.testing.assert_array_equal(param.numpy(), want)


def test_asyncio_tasks_on_one_thread_share_its_grad_mode(backend):
    # as in PyTorch, grad mode is the thread's: a task inside no_grad that awaits leaves
    # it off for the other tasks of its loop until the block ends
    async def evaluating(entered, release):
        with smolml.no_grad():
            entered.set()
            await release.wait()
        return smolml.is_grad_enabled()

    async def other(entered, release):
        await entered.wait()
        try:
            return (MLArray([1.0]) * 2).requires_grad, smolml.is_grad_enabled()
        finally:
            release.set()

    async def main():
        entered, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(evaluating(entered, release), other(entered, release))

    after_block, during_block = asyncio.run(main())
    assert during_block == (False, False)
    assert after_block is True
    assert smolml.is_grad_enabled()


@pytest.mark.skipif(len(AVAILABLE_BACKENDS) < 2, reason="needs both backends")
def test_set_backend_is_seen_by_threads_started_later():
    before = smolml.get_backend()
    other = "pure" if before == "engine" else "engine"
    seen = []
    try:
        smolml.set_backend(other)
        thread = threading.Thread(target=lambda: seen.append(smolml.get_backend()))
        thread.start()
        thread.join(TIMEOUT)
    finally:
        smolml.set_backend(before)
    assert seen == [other]
    assert smolml.get_backend() == before


@pytest.mark.skipif(len(AVAILABLE_BACKENDS) < 2, reason="needs both backends")
def test_use_backend_stays_in_its_own_thread():
    before = smolml.get_backend()
    other = "pure" if before == "engine" else "engine"
    seen = []
    with smolml.use_backend(other):
        thread = threading.Thread(target=lambda: seen.append(smolml.get_backend()))
        thread.start()
        thread.join(TIMEOUT)
        assert smolml.get_backend() == other
    assert seen == [before]


@pytest.mark.skipif(len(AVAILABLE_BACKENDS) < 2, reason="needs both backends")
def test_set_backend_inside_use_backend_takes_effect_and_outlives_the_block():
    before = smolml.get_backend()
    other = "pure" if before == "engine" else "engine"
    try:
        with smolml.use_backend(other):
            smolml.set_backend(before)
            assert smolml.get_backend() == before
            smolml.set_backend(other)
            assert smolml.get_backend() == other
        assert smolml.get_backend() == other
    finally:
        smolml.set_backend(before)
    assert smolml.get_backend() == before
