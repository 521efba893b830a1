"""Optimizers: turn gradients into parameter updates.

The protocol is SmolML's. After `loss.backward()`, each layer calls
`layer.update(optimizer, idx)`, which calls
`optimizer.update(layer, idx, param_names=("weights", "biases"))`. For each named
parameter θ (an `MLArray` attribute of the layer) the optimizer reads g = θ.grad(),
computes the new value of θ and writes it into θ in place, under `smolml.no_grad()`:
the new parameter is the same leaf array holding new numbers, so no step ever chains
the previous parameters into the graph. `update` returns the parameters (the same
objects), so SmolML's `self.weights, self.biases = ...` still works. A subclass
defines `new_value` (the new θ as an array, copied in with `update_values`) or, to
save the temporary arrays, `step_parameter` (writes θ in place with `-=` and friends).
State arrays have their parameter's shape and dtype.

Per-parameter state (velocities, moment estimates) lives in dicts keyed by layer index,
then by parameter name: `optimizer.velocities[idx]["weights"]`.

A PyTorch-style loop calls `optimizer.step(net.parameters())` instead: one step over
a list of parameters, their state keyed by ("step", position in the list).

Training steps. Adam's bias correction needs t, the number of training steps so far.
`optimizer.step_count` counts them. `NeuralNetwork.train` calls `begin_step()` once
before each step's updates; a hand-written loop need not: an `update` for an index
already updated in the current step (the loop came round to layer 0 again) starts the
next step by itself, as does the very first update.

Hyperparameters are checked at construction by `hyperparameter` (finite numbers, a
learning rate > 0, momentum and decay rates in [0, 1), epsilon > 0): a bad one is a
TypeError or ValueError naming the argument, not a NaN in the weights later.

Weight decay. `weight_decay=λ` (every optimizer; 0 by default) has PyTorch's meaning:
the L2 term λ·θ is added to the gradient before the rule runs, g ← g + λ·θ (the
gradient of ½λ‖θ‖² added to the loss). `AdamW` decays instead of adding to the
gradient (decoupled, as `torch.optim.AdamW`): θ ← θ·(1 − α·λ), then Adam's step.
"""

import math

import numpy as np

from smolml import _checks
from smolml._grad import no_grad
from smolml.core.ml_array import MLArray


HYPERPARAMETER_RANGES = {
    "rate": {"low": 0.0, "low_open": True},           # learning rates: > 0
    "decay": {"low": 0.0, "high": 1.0},               # momentum, β₁, β₂: in [0, 1)
    "epsilon": {"low": 0.0, "low_open": True},        # ε: > 0
    "non_negative": {"low": 0.0},                     # e.g. a penalty: >= 0
}
"""The allowed range of each kind of hyperparameter."""


def hyperparameter(optimizer, value, name, kind):
    """`value` as a float if it is a finite number in the range of `kind` (a key of
    HYPERPARAMETER_RANGES); otherwise a TypeError or ValueError naming `name` and
    the optimizer's class. Every optimizer checks its constructor's numbers with it."""
    return _checks.real_number(value, f"{type(optimizer).__name__} {name}",
                               **HYPERPARAMETER_RANGES[kind])


def resolve(optimizer):
    """The optimizer to use for `optimizer`: None gives a new `SGD()`, an Optimizer
    subclass (SmolML's defaults pass classes) a new instance with its defaults, an
    instance (or any object with SmolML's `update` method) itself; anything else is
    a TypeError."""
    if optimizer is None:
        return SGD()
    if isinstance(optimizer, type):
        if issubclass(optimizer, Optimizer):
            return optimizer()
        raise TypeError(f"optimizer must be an Optimizer, such as optimizers.SGD(0.01); "
                        f"got the class {optimizer.__name__}")
    if not callable(getattr(optimizer, "update", None)):
        raise TypeError(f"optimizer must be an Optimizer, such as optimizers.SGD(0.01); "
                        f"got {type(optimizer).__name__}")
    return optimizer


class Optimizer:
    """Base class. Subclasses implement `new_value(param, grad, idx, name)`.

    Attributes: `learning_rate` (α), `step_count` (training steps begun so far).
    """

    state_names = ()
    """Names of the attributes that hold per-parameter state, for `state`."""

    decoupled_weight_decay = False
    """True: `weight_decay` shrinks θ directly (AdamW) instead of adding λ·θ to g."""

    def __init__(self, learning_rate=0.01, weight_decay=0.0):
        self.learning_rate = hyperparameter(self, learning_rate, "learning_rate", "rate")
        self.weight_decay = hyperparameter(self, weight_decay, "weight_decay", "non_negative")
        self.step_count = 0
        self._updated_this_step = set()

    def begin_step(self):
        """Start a new training step: t ← t + 1."""
        self.step_count += 1
        self._updated_this_step = set()

    def update(self, object, object_idx, param_names=("weights", "biases")):
        """Update `object`'s parameters named in `param_names` from their gradients.

        `object_idx` names the object (a layer index, or any hashable) so that state
        stays with the parameter it belongs to. Returns the updated parameters, in the
        order of `param_names`.
        """
        if self.step_count == 0 or object_idx in self._updated_this_step:
            self.begin_step()
        self._updated_this_step.add(object_idx)
        params = tuple(getattr(object, name) for name in param_names)
        with no_grad():
            for name, param in zip(param_names, params):
                self.step_with_decay(param, object_idx, name)
        return params

    def step_with_decay(self, param, idx, name):
        """Update `param` from its gradient, weight decay included (runs under no_grad)."""
        grad = param.grad()
        if self.weight_decay:
            if self.decoupled_weight_decay:
                param *= 1.0 - self.learning_rate * self.weight_decay
            else:
                grad += self.weight_decay * param     # d/dθ of ½λ‖θ‖²
        self.step_parameter(param, grad, idx, name)

    def step(self, parameters):
        """One training step over `parameters` (MLArrays, e.g. `net.parameters()`),
        PyTorch style: after `loss.backward()`, each θ is updated in place from its
        gradient. State is kept by position in `parameters`, so pass the same arrays in
        the same order at every step (as a PyTorch optimizer holds its parameters)."""
        parameters = list(parameters)
        for param in parameters:
            if not isinstance(param, MLArray):
                raise TypeError(f"step() updates MLArrays; got {type(param).__name__}")
        self.begin_step()
        with no_grad():
            for position, param in enumerate(parameters):
                self.step_with_decay(param, ("step", position), "param")

    def step_parameter(self, param, grad, idx, name):
        """Write the updated parameter into `param` (runs under no_grad)."""
        param.update_values(self.new_value(param, grad, idx, name))

    def new_value(self, param, grad, idx, name):
        """The new value of parameter `param` (an MLArray) given its gradient `grad`."""
        raise NotImplementedError("subclasses of Optimizer implement new_value()")

    def _overrides_new_value(self, cls):
        """True if a subclass of `cls` redefined new_value: then its rule is the one
        to follow, not cls's in-place step."""
        return type(self).new_value is not cls.new_value

    @property
    def state(self):
        """{state name: {idx: {param name: MLArray}}}, e.g. {"velocities": {...}}."""
        return {name: getattr(self, name) for name in self.state_names}

    def _slot(self, store, param, idx, name):
        """The state array `store[idx][name]`, made as zeros of θ's shape on first use."""
        per_object = store.setdefault(idx, {})
        if name not in per_object:
            # plain data: the state never takes part in a graph
            with _checks.on_backend_of(param):
                per_object[name] = MLArray(np.zeros(param.shape), requires_grad=False,
                                           dtype=param.dtype)
        return per_object[name]

    def __repr__(self):
        decay = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"{type(self).__name__}(learning_rate={self.learning_rate}{decay})"


class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ − α·g (with weight decay, g ← g + λ·θ first),
    the rule of `torch.optim.SGD(lr=α, weight_decay=λ)`."""

    def new_value(self, param, grad, idx, name):
        return param - self.learning_rate * grad

    def step_parameter(self, param, grad, idx, name):
        if self._overrides_new_value(SGD):
            return super().step_parameter(param, grad, idx, name)
        grad *= self.learning_rate      # grad is a fresh copy: scaled in place
        param -= grad


class SGDMomentum(Optimizer):
    """Gradient descent with momentum:

        v ← β·v + α·g
        θ ← θ − v

    v (`velocities`, starting at 0) keeps moving along directions the gradient keeps
    pointing to and damps directions where it flips sign. β = `momentum_coefficient`.

    PyTorch writes momentum with the rate outside the buffer, b ← β·b + g,
    θ ← θ − α·b (`torch.optim.SGD(lr=α, momentum=β)`, no dampening, no Nesterov).
    With a constant α the two are the same rule (v = α·b), step for step; they part
    only when α changes during training (a learning-rate schedule): here v keeps the
    steps taken at the old rate and the new rate applies to new gradients only, while
    PyTorch rescales the whole buffer at once. `weight_decay=λ` adds λ·θ to g first,
    as PyTorch does.
    """

    state_names = ("velocities",)

    def __init__(self, learning_rate=0.01, momentum_coefficient=0.9, weight_decay=0.0):
        super().__init__(learning_rate, weight_decay)
        self.momentum_coefficient = hyperparameter(self, momentum_coefficient,
                                                   "momentum_coefficient", "decay")
        self.velocities = {}

    def new_value(self, param, grad, idx, name):
        velocity = self._slot(self.velocities, param, idx, name)
        velocity = self.momentum_coefficient * velocity + self.learning_rate * grad
        self.velocities[idx][name] = velocity
        return param - velocity

    def step_parameter(self, param, grad, idx, name):
        if self._overrides_new_value(SGDMomentum):
            return super().step_parameter(param, grad, idx, name)
        velocity = self._slot(self.velocities, param, idx, name)
        velocity *= self.momentum_coefficient
        grad *= self.learning_rate
        velocity += grad
        param -= velocity


class AdaGrad(Optimizer):
    """Adaptive gradient:

        G ← G + g²
        θ ← θ − α·g / √(G + ε)

    G (`squared_gradients`, starting at 0) sums every past squared gradient, so each
    parameter's step shrinks as its gradient history grows. ε (inside the root) keeps
    the division finite while G is 0. (`torch.optim.Adagrad` adds ε outside the root,
    α·g / (√G + ε); the two agree when ε is negligible beside G.) `weight_decay=λ` adds
    λ·θ to g first, as PyTorch does.
    """

    state_names = ("squared_gradients",)

    def __init__(self, learning_rate=0.01, epsilon=1e-8, weight_decay=0.0):
        super().__init__(learning_rate, weight_decay)
        self.epsilon = hyperparameter(self, epsilon, "epsilon", "epsilon")
        self.squared_gradients = {}

    def new_value(self, param, grad, idx, name):
        squared = self._slot(self.squared_gradients, param, idx, name) + grad * grad
        self.squared_gradients[idx][name] = squared
        return param - self.learning_rate * grad / (squared + self.epsilon).sqrt()


class Adam(Optimizer):
    """Adaptive moment estimation, at training step t = 1, 2, ...:

        m ← β₁·m + (1 − β₁)·g          first moment (mean of gradients)
        v ← β₂·v + (1 − β₂)·g²         second moment (mean of squared gradients)
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   bias correction (m, v start at 0)
        θ ← θ − α·m̂ / (√v̂ + ε)

    β₁ = `exp_decay_gradients`, β₂ = `exp_decay_squared`. t is `step_count`, the
    training step, the same for every layer updated in that step. (SmolML advanced t
    on every layer's update, so the layers of one step saw different t and, in a
    network of L layers, the bias correction faded L times too fast.)

    This is `torch.optim.Adam(lr=α, betas=(β₁, β₂), eps=ε, weight_decay=λ)`;
    `weight_decay=λ` adds λ·θ to g first (L2). For decoupled decay use `AdamW`.
    """

    state_names = ("gradients_momentum", "squared_gradients_momentum")

    def __init__(self, learning_rate=0.01, exp_decay_gradients=0.9, exp_decay_squared=0.999,
                 epsilon=1e-8, weight_decay=0.0):
        super().__init__(learning_rate, weight_decay)
        self.exp_decay_gradients = hyperparameter(self, exp_decay_gradients,
                                                  "exp_decay_gradients", "decay")
        self.exp_decay_squared = hyperparameter(self, exp_decay_squared, "exp_decay_squared",
                                                "decay")
        self.epsilon = hyperparameter(self, epsilon, "epsilon", "epsilon")
        self.gradients_momentum = {}
        self.squared_gradients_momentum = {}

    @property
    def timestep(self):
        """t of the current step (SmolML's name for it)."""
        return self.step_count

    def new_value(self, param, grad, idx, name):
        beta1, beta2, t = self.exp_decay_gradients, self.exp_decay_squared, self.step_count
        m = self._slot(self.gradients_momentum, param, idx, name)
        v = self._slot(self.squared_gradients_momentum, param, idx, name)
        m = beta1 * m + (1.0 - beta1) * grad
        v = beta2 * v + (1.0 - beta2) * (grad * grad)
        self.gradients_momentum[idx][name] = m
        self.squared_gradients_momentum[idx][name] = v
        m_hat = m / (1.0 - beta1 ** t)
        v_hat = v / (1.0 - beta2 ** t)
        return param - self.learning_rate * m_hat / (v_hat.sqrt() + self.epsilon)

    def step_parameter(self, param, grad, idx, name):
        # new_value's rule with the moments updated in place and one temporary per
        # array op fewer: √v̂ = √v / √(1 − β₂ᵗ), m̂ = m / (1 − β₁ᵗ).
        if self._overrides_new_value(Adam):
            return super().step_parameter(param, grad, idx, name)
        beta1, beta2, t = self.exp_decay_gradients, self.exp_decay_squared, self.step_count
        m = self._slot(self.gradients_momentum, param, idx, name)
        v = self._slot(self.squared_gradients_momentum, param, idx, name)
        m *= beta1
        m += (1.0 - beta1) * grad
        grad *= grad                    # grad is a fresh copy: squared in place
        grad *= 1.0 - beta2
        v *= beta2
        v += grad
        denominator = v.sqrt()
        denominator *= 1.0 / math.sqrt(1.0 - beta2 ** t)
        denominator += self.epsilon
        step = m * (self.learning_rate / (1.0 - beta1 ** t))
        step /= denominator
        param -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), at each step:

        θ ← θ·(1 − α·λ)        the decay, kept out of the moment estimates
        θ ← θ − α·m̂ / (√v̂ + ε)  Adam's step on the plain gradient

    With Adam's L2 `weight_decay`, λ·θ passes through the moments and is divided by
    √v̂, so parameters with large gradients are barely decayed; here every parameter
    shrinks by the same factor. This is `torch.optim.AdamW(lr=α, betas=(β₁, β₂),
    eps=ε, weight_decay=λ)`; λ = `weight_decay` (0.01 by default, PyTorch's).
    """

    decoupled_weight_decay = True

    def __init__(self, learning_rate=0.01, exp_decay_gradients=0.9, exp_decay_squared=0.999,
                 epsilon=1e-8, weight_decay=0.01):
        super().__init__(learning_rate, exp_decay_gradients, exp_decay_squared, epsilon,
                         weight_decay)


class RMSprop(Optimizer):
    """Root-mean-square propagation (Hinton):

        v ← ρ·v + (1 − ρ)·g²        a running mean of squared gradients
        θ ← θ − α·g / (√v + ε)

    v (`squared_gradients`, starting at 0) forgets old gradients at rate ρ = `rho`, so
    unlike AdaGrad the step does not shrink for good. This is
    `torch.optim.RMSprop(lr=α, alpha=ρ, eps=ε, weight_decay=λ)` (not centered, no
    momentum); `weight_decay=λ` adds λ·θ to g first.
    """

    state_names = ("squared_gradients",)

    def __init__(self, learning_rate=0.01, rho=0.99, epsilon=1e-8, weight_decay=0.0):
        super().__init__(learning_rate, weight_decay)
        self.rho = hyperparameter(self, rho, "rho", "decay")
        self.epsilon = hyperparameter(self, epsilon, "epsilon", "epsilon")
        self.squared_gradients = {}

    def new_value(self, param, grad, idx, name):
        v = self._slot(self.squared_gradients, param, idx, name)
        v = self.rho * v + (1.0 - self.rho) * (grad * grad)
        self.squared_gradients[idx][name] = v
        return param - self.learning_rate * grad / (v.sqrt() + self.epsilon)

    def step_parameter(self, param, grad, idx, name):
        if self._overrides_new_value(RMSprop):
            return super().step_parameter(param, grad, idx, name)
        v = self._slot(self.squared_gradients, param, idx, name)
        v *= self.rho
        v += (1.0 - self.rho) * (grad * grad)
        denominator = v.sqrt()
        denominator += self.epsilon
        grad *= self.learning_rate
        grad /= denominator
        param -= grad
