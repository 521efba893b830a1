"""How many threads smolml's matrix products run on.

smolml's own code runs on the calling thread; the threads it uses are those of the
BLAS library NumPy calls for matrix products (OpenBLAS, MKL, BLIS, ...). They are set
through threadpoolctl, which finds the BLAS libraries loaded in this process.

On a busy machine, BLAS threads that wait for cores another process holds make every
product slower than one thread would be; `NeuralNetwork.train(threads="auto")` uses
`TrainingThreads` to pick the count by measuring its own steps (docs/engine.md,
"Threads on a busy machine").
"""
import contextlib
import math
import os
import time

from threadpoolctl import ThreadpoolController

from smolml import _checks

_controller = None


def _blas():
    # The scan of loaded libraries takes milliseconds: once, on first use.
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.select(user_api="blas")


def blas_info():
    """One dict per BLAS library loaded: threadpoolctl's `info()` (keys include
    internal_api, version, architecture (the kernel it runs), num_threads, filepath)."""
    return _blas().info()


def cpu_count():
    """The cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def get_num_threads():
    """The threads smolml's matrix products use: the largest thread count of the
    loaded BLAS libraries (1 when there is none)."""
    return max((pool["num_threads"] for pool in blas_info()), default=1)


def set_num_threads(n):
    """Run smolml's matrix products (NumPy's BLAS) on `n` threads (an integer >= 1),
    from now on. Like `torch.set_num_threads`; `num_threads(n)` sets it for a block."""
    n = _checks.integer(n, "n", minimum=1)
    _blas().limit(limits=n)


@contextlib.contextmanager
def num_threads(n):
    """`with smolml.num_threads(n):` runs the block's matrix products on `n` threads
    (an integer >= 1) and puts the previous counts back afterwards."""
    n = _checks.integer(n, "n", minimum=1)
    with _blas().limit(limits=n):
        yield


class TrainingThreads:
    """The thread count of `NeuralNetwork.train`'s steps: fixed, or chosen by timing.

    threads: an integer >= 1 fixes the count; "auto" times `PROBE_STEPS` steps (after
    one warm-up step) at each count in `candidates()`, runs on the fastest, and times
    them again `RECHECK_SECONDS` later, or later still so that the timing costs at
    most 1/`RECHECK_RATIO` of the run. A core taken by another process slows the
    count that needs it and the next check moves off it; once the core is free the
    next check moves back. A count whose warm-up step takes over `GIVE_UP_WARM` times,
    or a timed step over `GIVE_UP` times, the best mean of this check is not timed
    further: on a busy machine a fighting count can be ten times slower.

    workload: a hashable key of what the steps compute (train uses the parameters'
    shapes, the batch size and the backend). A new policy for the same workload within
    the last check's interval starts on that check's choice and times nothing until
    its deadline, so `train(epochs=1)` called in a loop pays for one check, not one
    per call. None: no memory.

    Used as `with TrainingThreads(threads) as policy:` around the steps, calling
    `policy.step(function, *args)` for each: it calls `function(*args)` at the current
    count and returns its result. On exit the BLAS thread counts are as they were before.
    """
    PROBE_STEPS = 3
    RECHECK_SECONDS = 2.0
    RECHECK_RATIO = 20
    GIVE_UP, GIVE_UP_WARM = 1.5, 3.0
    _recent = {}               # workload -> (chosen count, its timings, next check time)

    def __init__(self, threads, clock=time.perf_counter, workload=None):
        if isinstance(threads, str):
            if threads != "auto":
                raise ValueError(f"threads must be 'auto' or an integer >= 1; got {threads!r}")
            self.counts = candidates()
        else:
            self.counts = (_checks.integer(threads, "threads", minimum=1),)
        self.clock = clock
        self.workload = workload
        self.current = self.counts[0]
        self.timings = {}          # count -> mean seconds per step in the last check
        self._queue = []           # the counts still to time in this check
        self._timed = []           # this count's step times so far
        self._warm = False
        self._next_check = None
        self._check_started = None
        self._limiter = None
        recent = self._recent.get(workload) if len(self.counts) > 1 else None
        if recent is not None and recent[0] in self.counts and clock() < recent[2]:
            self.current, self.timings, self._next_check = recent[0], dict(recent[1]), recent[2]

    def __enter__(self):
        self._limiter = _blas().limit(limits=self.current)
        if len(self.counts) > 1 and self._next_check is None:
            self._start_check()
            self._warm = False     # the first step of training also builds its buffers
        return self

    def __exit__(self, *exc_info):
        self._limiter.restore_original_limits()
        return False

    def step(self, function, *args):
        """`function(*args)` at the current thread count, timed when a check is under way."""
        if not self._queue:
            if self._next_check is None or self.clock() < self._next_check:
                return function(*args)
            self._start_check()
        start = self.clock()
        result = function(*args)
        self._record(self.clock() - start)
        return result

    def _start_check(self):
        # The count in use first: it needs no warm-up, its threads are already running.
        self._queue = [self.current] + [n for n in self.counts if n != self.current]
        self._timed, self._warm = [], True
        self.timings = {}
        self._check_started = self.clock()

    def _record(self, seconds):
        best = min(self.timings.values(), default=math.inf)
        if seconds > (self.GIVE_UP if self._warm else self.GIVE_UP_WARM) * best:
            self._timed = [seconds]    # clearly slower than a count already timed
        elif not self._warm:
            self._warm = True          # the first step after a switch wakes the threads
            return
        else:
            self._timed.append(seconds)
            if len(self._timed) < self.PROBE_STEPS:
                return
        self.timings[self._queue.pop(0)] = sum(self._timed) / len(self._timed)
        self._timed = []
        if self._queue:
            self._switch(self._queue[0])
            self._warm = False
            return
        self._switch(min(self.counts, key=self.timings.__getitem__))
        spent = self.clock() - self._check_started
        self._next_check = self.clock() + max(self.RECHECK_SECONDS, self.RECHECK_RATIO * spent)
        if self.workload is not None:
            self._recent[self.workload] = (self.current, dict(self.timings), self._next_check)

    def _switch(self, n):
        if n != self.current:
            _blas().limit(limits=n)
            self.current = n


def candidates():
    """The thread counts "auto" chooses from: one, and every core this process may
    use (only 1 on a single core or without a BLAS library to set)."""
    cores = cpu_count()
    if cores <= 1 or not blas_info():
        return (1,)
    return (1, cores)
