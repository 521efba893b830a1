"""The MLArray MLP step's data and its peers that do not need smolml.

`workloads.ArrayMLP` is smolml's MLP step; this module holds its initial weights and
batch, and the same step twice more: written by hand in NumPy (`NumpyMLP`, no autograd)
and in PyTorch (`TorchMLP`). It imports NumPy only (PyTorch inside its functions), so
`peak_rss.py` can measure the NumPy and PyTorch steps in processes that never import
smolml. `workloads.py` re-exports everything here.

The step, for every implementation: forward through tanh hidden layers and a linear
output layer, softmax, L = −mean over the batch of Σₖ yₖ·log clip(pₖ, 1e-15, 1),
backward, then SGD θ ← θ − lr·∇θ on every weight and bias.
"""
import math

import numpy as np

DTYPES = ("float64", "float32")


def mlp_weights(sizes, seed=0):
    """Glorot-uniform weights and zero biases as NumPy arrays: [W0, b0, W1, b1, ...]."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = math.sqrt(6 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, size=(fan_in, fan_out)), np.zeros((1, fan_out))]
    return params


def mlp_batch(n_in, n_out, batch_size, seed=1):
    """A batch of Gaussian inputs (batch_size, n_in) and one-hot targets (batch_size, n_out)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch_size, n_in))
    Y = np.eye(n_out)[rng.integers(0, n_out, size=batch_size)]
    return X, Y


# ---------------------------------------------------------------- NumPy, by hand

CLIP_LOW, CLIP_HIGH = 1e-15, 1.0


class NumpyMLP:
    """ArrayMLP's step written by hand in NumPy: no autograd, the backward pass derived
    on paper for exactly the operations ArrayMLP records, so both give the same numbers
    (`test_numpy_twin.py` checks it) and this class is an oracle for smolml.

    Notation, for a batch of B rows and n layers (i = 0 … n−1):
        a₀ = X,   zᵢ = aᵢ·Wᵢ + bᵢ,   aᵢ₊₁ = tanh(zᵢ) for the hidden layers (i < n−1),
        z = zₙ₋₁ (the logits),   p = softmax(z) row by row,   c = clip(p, 1e-15, 1),
        L = −(1/B) Σᵢ Σₖ yᵢₖ·log cᵢₖ,
        δᵢ = ∂L/∂zᵢ (an array shaped like zᵢ).

    Written as a careful NumPy programmer would: every array a step needs is allocated
    once (per batch size) and the step computes into them with `out=` and in-place
    operators, so it allocates almost nothing.
    """

    def __init__(self, sizes, seed=0, dtype="float64"):
        self.dtype = np.dtype(dtype)
        self.params = [p.astype(self.dtype) for p in mlp_weights(sizes, seed)]  # W0, b0, ...
        self.grads = [np.empty_like(p) for p in self.params]                     # ∂L/∂ of each
        self._batch_size = None

    def _allocate(self, batch_size):
        """The step's work arrays for batches of `batch_size` rows."""
        widths = [W.shape[1] for W in self.params[0::2]]
        new = lambda *shape, dtype=self.dtype: np.empty(shape, dtype)      # noqa: E731
        self.z = [new(batch_size, width) for width in widths]       # zᵢ, then aᵢ₊₁ in place
        self.delta = [new(batch_size, width) for width in widths]   # δᵢ
        self.p = new(batch_size, widths[-1])                        # softmax probabilities
        self.work = new(batch_size, widths[-1])                     # c, log c, y·log c; then t
        self.row = new(batch_size, 1)                               # per-row max, sum, ...
        self.passed = new(batch_size, widths[-1], dtype=bool)       # where clip kept p
        self._batch_size = batch_size

    def step(self, X, Y, lr=0.1):
        """One SGD step on the batch X (B, n_in), Y (B, n_out), both of self.dtype."""
        B = len(X)
        if B != self._batch_size:
            self._allocate(B)
        Ws, bs = self.params[0::2], self.params[1::2]
        n = len(Ws)

        # ---- forward: zᵢ = aᵢ·Wᵢ + bᵢ, and aᵢ₊₁ = tanh(zᵢ) written over zᵢ
        a = [X]                                         # a[i]: layer i's input
        for i in range(n):
            z = self.z[i]
            np.matmul(a[i], Ws[i], out=z)
            z += bs[i]
            if i < n - 1:
                np.tanh(z, out=z)
                a.append(z)
        logits = self.z[-1]

        # ---- softmax: p = exp(z − m) / Σₖ exp(z − m), m = the row's max. m is a constant
        # (ArrayMLP takes it under no_grad); softmax does not depend on it, so neither
        # does the gradient.
        row, p = self.row, self.p
        np.max(logits, axis=1, keepdims=True, out=row)
        np.subtract(logits, row, out=p)
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=row)
        p /= row

        # ---- loss: L = −mean over rows of Σₖ yₖ·log clip(pₖ, 1e-15, 1)
        c = self.work
        np.clip(p, CLIP_LOW, CLIP_HIGH, out=c)
        np.equal(c, p, out=self.passed)                 # clip kept p: bounds are inclusive
        np.log(c, out=c)
        c *= Y
        np.sum(c, axis=1, keepdims=True, out=row)
        loss = -float(row.mean())

        # ---- backward, derived by hand.
        # ∂L/∂log cᵢₖ = −yᵢₖ/B, so ∂L/∂cᵢₖ = −yᵢₖ/(B·cᵢₖ). clip passes the gradient where
        # it kept p (mᵢₖ = 1, and there c = p) and stops it where it clamped (mᵢₖ = 0):
        #     ∂L/∂pᵢₖ = −tᵢₖ/(B·pᵢₖ)  with  t = y·m.
        # Softmax's Jacobian is ∂pᵢⱼ/∂zᵢₖ = pᵢⱼ(𝟙[j = k] − pᵢₖ), so
        #     δᵢₖ = Σⱼ ∂L/∂pᵢⱼ · pᵢⱼ(𝟙[j = k] − pᵢₖ) = (pᵢₖ·Σⱼ tᵢⱼ − tᵢₖ) / B.
        # With one-hot targets and the clip idle (the usual case) that is (p − y)/B.
        t = np.multiply(Y, self.passed, out=self.work)
        np.sum(t, axis=1, keepdims=True, out=row)
        delta = self.delta[-1]
        np.multiply(p, row, out=delta)
        delta -= t
        delta /= B

        # Layer by layer from the last: zᵢ = aᵢ·Wᵢ + bᵢ gives
        #     ∂L/∂Wᵢ = aᵢᵀ·δᵢ,   ∂L/∂bᵢ = Σ over rows of δᵢ,   ∂L/∂aᵢ = δᵢ·Wᵢᵀ,
        # and aᵢ = tanh(zᵢ₋₁), tanh' = 1 − tanh², gives δᵢ₋₁ = ∂L/∂aᵢ ⊙ (1 − aᵢ²).
        for i in reversed(range(n)):
            np.matmul(a[i].T, delta, out=self.grads[2 * i])
            np.sum(delta, axis=0, keepdims=True, out=self.grads[2 * i + 1])
            if i > 0:
                previous = self.delta[i - 1]
                np.matmul(delta, Ws[i].T, out=previous)     # ∂L/∂aᵢ
                a_i = a[i]                  # no longer needed as itself: becomes 1 − aᵢ²
                np.multiply(a_i, a_i, out=a_i)
                np.subtract(1.0, a_i, out=a_i)
                previous *= a_i
                delta = previous

        # ---- SGD: θ ← θ − lr·∇θ (the gradient's array takes lr·∇θ)
        for theta, grad in zip(self.params, self.grads):
            grad *= lr
            theta -= grad
        return loss


def numpy_batch(n_in, n_out, batch_size, dtype="float64", seed=1):
    """`mlp_batch` as arrays of `dtype`."""
    X, Y = mlp_batch(n_in, n_out, batch_size, seed)
    return X.astype(dtype), Y.astype(dtype)


# ---------------------------------------------------------------- PyTorch

class TorchMLP:
    """ArrayMLP in PyTorch: the same weights, operations, loss and SGD step, in `dtype`."""

    def __init__(self, sizes, seed=0, dtype="float64"):
        import torch

        self.torch = torch
        self.params = [torch.tensor(p, dtype=getattr(torch, dtype), requires_grad=True)
                       for p in mlp_weights(sizes, seed)]

    def step(self, X, Y, lr=0.1):
        torch = self.torch
        h = X
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            h = h @ self.params[2 * i] + self.params[2 * i + 1]
            if i < n_layers - 1:
                h = h.tanh()
        with torch.no_grad():
            shift = h.amax(dim=1, keepdim=True)
        e = (h - shift).exp()
        probs = e / e.sum(dim=1, keepdim=True)
        loss = -(Y * probs.clamp(CLIP_LOW, CLIP_HIGH).log()).sum(dim=1).mean()
        loss.backward()
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
                p.grad = None
        return loss.item()


def torch_batch(n_in, n_out, batch_size, dtype="float64", seed=1):
    """`mlp_batch` as tensors of `dtype`."""
    import torch

    X, Y = numpy_batch(n_in, n_out, batch_size, dtype, seed)
    return torch.from_numpy(X), torch.from_numpy(Y)
