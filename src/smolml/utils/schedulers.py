"""Learning-rate schedules: change an optimizer's learning rate as training goes on.

A scheduler holds an optimizer and, at each `step()`, writes the next learning rate
into `optimizer.learning_rate`. Call `step()` once per epoch, after that epoch's
updates (`NeuralNetwork.train(..., scheduler=s)` does); `get_last_lr()` gives the rate
set last, as a list of one float (PyTorch's list has one entry per parameter group;
a smolml optimizer has one). `last_epoch` counts the steps taken.

Each schedule gives the same sequence of rates as its `torch.optim.lr_scheduler` twin:
making the scheduler counts as epoch 0 and keeps the optimizer's rate (α₀, recorded as
`base_lr`), and the rates are computed from the current rate step by step, the way
PyTorch computes them, so a rate changed by hand between steps carries on as there.
"""
import math

from smolml import _checks


class LRScheduler:
    """Base class. Subclasses implement `get_lr()`, the rate at epoch `last_epoch`
    from the rate now in the optimizer."""

    def __init__(self, optimizer):
        rate = getattr(optimizer, "learning_rate", None)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or \
                not math.isfinite(rate):
            raise TypeError(f"{type(self).__name__} needs an optimizer with a finite "
                            f"learning_rate; got {type(optimizer).__name__} "
                            f"(learning_rate={rate!r})")
        self.optimizer = optimizer
        self.base_lr = float(rate)
        self.last_epoch = 0
        self._last_lr = [self.base_lr]

    def get_lr(self):
        raise NotImplementedError("subclasses of LRScheduler implement get_lr()")

    def step(self):
        """Advance one epoch and set the optimizer's learning rate for it."""
        self.last_epoch += 1
        rate = self.get_lr()
        self.optimizer.learning_rate = rate
        self._last_lr = [rate]

    def get_last_lr(self):
        """[the learning rate the last `step()` (or the constructor) set]."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's numbers (not the optimizer), for `load_state_dict`."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state):
        vars(self).update(state)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr[0]})"


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    return value


class StepLR(LRScheduler):
    """α ← α·γ every `step_size` epochs: αₜ = α₀·γ^⌊t / step_size⌋ (`torch.optim.lr_scheduler.StepLR`)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _check_count(step_size, "step_size")
        self.gamma = _checks.real_number(gamma, "gamma", low=0.0, low_open=True, high=None)
        super().__init__(optimizer)

    def get_lr(self):
        rate = self.optimizer.learning_rate
        return rate * self.gamma if self.last_epoch % self.step_size == 0 else rate


class ExponentialLR(LRScheduler):
    """α ← α·γ every epoch: αₜ = α₀·γᵗ (`torch.optim.lr_scheduler.ExponentialLR`)."""

    def __init__(self, optimizer, gamma):
        self.gamma = _checks.real_number(gamma, "gamma", low=0.0, low_open=True, high=None)
        super().__init__(optimizer)

    def get_lr(self):
        return self.optimizer.learning_rate * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from α₀ down to `eta_min` over `T_max` epochs:

        αₜ = η_min + (α₀ − η_min)·(1 + cos(π·t / T_max)) / 2

    (`torch.optim.lr_scheduler.CosineAnnealingLR`, no restarts). Past T_max the cosine
    goes on, so the rate climbs back towards α₀; set T_max to the number of epochs.
    Computed as PyTorch does, from the previous rate:
    αₜ = η_min + (αₜ₋₁ − η_min)·(1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max)),
    with the closed form's step at the bottom of each cycle.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _check_count(T_max, "T_max")
        self.eta_min = _checks.real_number(eta_min, "eta_min", low=0.0, high=None)
        super().__init__(optimizer)

    def get_lr(self):
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        rate = self.optimizer.learning_rate
        if (t - 1 - period) % (2 * period) == 0:
            # leaving the bottom, where the ratio below would divide by 1 + cos(π) = 0
            return rate + (self.base_lr - low) * (1 - math.cos(math.pi / period)) / 2
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return ratio * (rate - low) + low
