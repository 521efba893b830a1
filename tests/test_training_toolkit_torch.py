"""The training toolkit against PyTorch's own optimizers, schedulers, clipping,
log_softmax, cross-entropy and dropout: 40 steps each, float64, relative 1e-9, on both
backends. Skipped when PyTorch is not installed (`pip install torch==2.13.0`, CPU)."""
import math

import numpy as np
import pytest

import smolml
from smolml import MLArray
from smolml.models.nn import DenseLayer, Dropout, NeuralNetwork
from smolml.utils import activation, clip_grad_norm, losses, optimizers, schedulers
from test_optimizers import A, T, U, W0, B0, Params, smolml_loss

torch = pytest.importorskip("torch")

STEPS = 40


def torch_loss(w, b):
    return (torch.tensor(A) * (w - torch.tensor(T)) ** 2).sum() + ((b - torch.tensor(U)) ** 4).sum()


def smolml_trajectory(optimizer, scheduler=None, max_norm=None):
    p = Params()
    steps = []
    for _ in range(STEPS):
        smolml_loss(p).backward()
        norm = clip_grad_norm([p.weights, p.biases], max_norm) if max_norm else None
        optimizer.update(p, 0)
        p.weights.restart()
        p.biases.restart()
        if scheduler is not None:
            scheduler.step()
        steps.append((p.weights.numpy(), p.biases.numpy(), optimizer.learning_rate, norm))
    return steps


def torch_trajectory(make_optimizer, make_scheduler=None, max_norm=None):
    w = torch.tensor(W0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True)
    optimizer = make_optimizer([w, b])
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    steps = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        torch_loss(w, b).backward()
        norm = float(torch.nn.utils.clip_grad_norm_([w, b], max_norm)) if max_norm else None
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        steps.append((w.detach().numpy().copy(), b.detach().numpy().copy(),
                      optimizer.param_groups[0]["lr"], norm))
    return steps


def assert_same(got, expected):
    for step, ((w, b, lr, norm), (w_ref, b_ref, lr_ref, norm_ref)) in enumerate(zip(got,
                                                                                     expected)):
        message = f"step {step + 1}"
        np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-13, err_msg=message)
        np.testing.assert_allclose(b, b_ref, rtol=1e-9, atol=1e-13, err_msg=message)
        assert lr == pytest.approx(lr_ref, rel=1e-12), message
        if norm_ref is not None:
            assert norm == pytest.approx(norm_ref, rel=1e-9), message
    assert len(got) == len(expected) == STEPS


OPTIMIZERS = {
    "sgd": (lambda: optimizers.SGD(0.01),
            lambda params: torch.optim.SGD(params, lr=0.01)),
    "sgd_decay": (lambda: optimizers.SGD(0.01, weight_decay=0.3),
                  lambda params: torch.optim.SGD(params, lr=0.01, weight_decay=0.3)),
    "momentum": (lambda: optimizers.SGDMomentum(0.005, 0.8),
                 lambda params: torch.optim.SGD(params, lr=0.005, momentum=0.8)),
    "momentum_decay": (lambda: optimizers.SGDMomentum(0.005, 0.9, weight_decay=0.2),
                       lambda params: torch.optim.SGD(params, lr=0.005, momentum=0.9,
                                                      weight_decay=0.2)),
    # smolml's AdaGrad puts ε inside the root, PyTorch outside: equal when ε is tiny
    "adagrad_decay": (lambda: optimizers.AdaGrad(0.3, epsilon=1e-300, weight_decay=0.1),
                      lambda params: torch.optim.Adagrad(params, lr=0.3, eps=1e-300,
                                                         weight_decay=0.1)),
    "rmsprop": (lambda: optimizers.RMSprop(0.01),
                lambda params: torch.optim.RMSprop(params, lr=0.01)),
    "rmsprop_custom": (lambda: optimizers.RMSprop(0.03, rho=0.9, epsilon=1e-6, weight_decay=0.05),
                       lambda params: torch.optim.RMSprop(params, lr=0.03, alpha=0.9, eps=1e-6,
                                                          weight_decay=0.05)),
    "adam_decay": (lambda: optimizers.Adam(0.05, weight_decay=0.1),
                   lambda params: torch.optim.Adam(params, lr=0.05, weight_decay=0.1)),
    "adamw": (lambda: optimizers.AdamW(0.05),
              lambda params: torch.optim.AdamW(params, lr=0.05)),
    "adamw_custom": (lambda: optimizers.AdamW(0.02, 0.8, 0.99, 1e-6, weight_decay=0.5),
                     lambda params: torch.optim.AdamW(params, lr=0.02, betas=(0.8, 0.99),
                                                      eps=1e-6, weight_decay=0.5)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_torch(backend, name):
    make, make_torch = OPTIMIZERS[name]
    got = smolml_trajectory(make())
    assert_same(got, torch_trajectory(make_torch))
    assert not np.allclose(got[-1][0], W0)


SCHEDULERS = {
    "step": (lambda opt: schedulers.StepLR(opt, step_size=7, gamma=0.5),
             lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)),
    "step_default": (lambda opt: schedulers.StepLR(opt, 10),
                     lambda opt: torch.optim.lr_scheduler.StepLR(opt, 10)),
    "exponential": (lambda opt: schedulers.ExponentialLR(opt, gamma=0.93),
                    lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.93)),
    # 40 steps of T_max=15: down, back up, and down again
    "cosine": (lambda opt: schedulers.CosineAnnealingLR(opt, T_max=15),
               lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)),
    "cosine_floor": (lambda opt: schedulers.CosineAnnealingLR(opt, T_max=40, eta_min=0.01),
                     lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40,
                                                                            eta_min=0.01)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_matches_torch(backend, name):
    make, make_torch = SCHEDULERS[name]
    optimizer = optimizers.Adam(0.1)
    scheduler = make(optimizer)
    assert scheduler.get_last_lr() == [0.1]
    got = smolml_trajectory(optimizer, scheduler)
    assert_same(got, torch_trajectory(lambda params: torch.optim.Adam(params, lr=0.1),
                                      make_torch))
    assert scheduler.get_last_lr() == [optimizer.learning_rate]
    assert scheduler.last_epoch == STEPS


def test_scheduled_momentum_matches_torch_while_the_rate_is_constant(backend):
    # SmolML's velocity carries α inside it: equal to PyTorch's rule until α changes
    got = smolml_trajectory(optimizers.SGDMomentum(0.005, 0.8))
    expected = torch_trajectory(lambda params: torch.optim.SGD(params, lr=0.005, momentum=0.8))
    assert_same(got, expected)


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e6])
def test_clip_grad_norm_matches_torch(backend, max_norm):
    got = smolml_trajectory(optimizers.SGD(0.01), max_norm=max_norm)
    expected = torch_trajectory(lambda params: torch.optim.SGD(params, lr=0.01),
                                max_norm=max_norm)
    assert_same(got, expected)


def logits_and_targets(n=6, k=5, seed=0, scale=3.0):
    generator = np.random.default_rng(seed)
    return generator.normal(scale=scale, size=(n, k)), generator.integers(0, k, size=n)


@pytest.mark.parametrize("scale", [1.0, 30.0, 400.0])
def test_log_softmax_matches_torch(backend, scale):
    z, _ = logits_and_targets(scale=scale)
    weights = np.random.default_rng(1).normal(size=z.shape)
    x = MLArray(z)
    out = activation.log_softmax(x)
    (out * MLArray(weights, requires_grad=False)).sum().backward()
    zt = torch.tensor(z, requires_grad=True)
    reference = torch.nn.functional.log_softmax(zt, dim=-1)
    (reference * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x.grad().numpy(), zt.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("kind", ["indices", "list", "one_hot", "soft", "column", "single"])
def test_cross_entropy_from_logits_matches_torch(backend, kind):
    z, labels = logits_and_targets(scale=20.0)
    soft = np.random.default_rng(2).dirichlet(np.ones(z.shape[1]), size=z.shape[0])
    one_hot = np.eye(z.shape[1])[labels]
    targets, torch_targets = {
        "indices": (MLArray(labels.astype(float), requires_grad=False), torch.tensor(labels)),
        "list": (labels.tolist(), torch.tensor(labels)),
        "one_hot": (one_hot, torch.tensor(one_hot)),
        "soft": (MLArray(soft, requires_grad=False), torch.tensor(soft)),
        "column": (labels.reshape(-1, 1), torch.tensor(labels)),
        "single": (int(labels[0]), torch.tensor(labels[0])),
    }[kind]
    if kind == "single":
        z = z[0]
    x = MLArray(z)
    loss = losses.cross_entropy_from_logits(x, targets)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    reference = torch.nn.functional.cross_entropy(zt, torch_targets)
    reference.backward()
    assert loss.shape == ()
    assert float(loss) == pytest.approx(reference.item(), rel=1e-9)
    np.testing.assert_allclose(x.grad().numpy(), zt.grad.numpy(), rtol=1e-9, atol=1e-12)


def digits_like(n=40, features=8, classes=4, seed=0):
    generator = np.random.default_rng(seed)
    X = generator.normal(size=(n, features))
    y = np.argmax(X @ generator.normal(size=(features, classes)), axis=1)
    return X, y


def torch_copy(network):
    """The smolml network's layers as torch modules with the same numbers."""
    modules = []
    for layer in network.layers:
        if isinstance(layer, Dropout):
            modules.append(torch.nn.Dropout(layer.p))
            continue
        linear = torch.nn.Linear(layer.input_size, layer.output_size, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.weights.numpy().T))
            linear.bias.copy_(torch.tensor(layer.biases.numpy()[0]))
        modules.append(linear)
        if layer.activation_function is activation.relu:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def test_network_training_matches_torch(backend):
    # AdamW, cosine schedule, clipping and cross-entropy on logits over 40 epochs
    X, y = digits_like()
    smolml.manual_seed(3)
    network = NeuralNetwork([DenseLayer(8, 16, activation.relu), DenseLayer(16, 4)],
                            losses.cross_entropy_from_logits, optimizers.AdamW(0.01))
    model = torch_copy(network)
    schedule = schedulers.CosineAnnealingLR(network.optimizer, T_max=STEPS)
    history = network.train(X, y, epochs=STEPS, verbose=False, scheduler=schedule,
                            clip_grad_norm=1.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    torch_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS)
    torch_history, torch_rates = [], []
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for _ in range(STEPS):
        torch_rates.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        torch_schedule.step()
        torch_history.append(loss.item())
    np.testing.assert_allclose(history, torch_history, rtol=1e-9)
    np.testing.assert_allclose(network.layers[0].weights.numpy(),
                               model[0].weight.detach().numpy().T, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(network.history["lr"], torch_rates, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_is_torch_dropout_for_its_mask(backend, p):
    # Both keep an element with probability 1 − p and scale it by 1/(1 − p): for the
    # mask each one drew, the outputs and gradients are the same function of the input.
    x_np = np.random.default_rng(0).normal(size=(200, 50)) + 3.0      # no zeros in x
    smolml.manual_seed(1)
    x = MLArray(x_np)
    out = Dropout(p).forward(x)
    out.sum().backward()
    kept = out.numpy() != 0
    xt = torch.tensor(x_np, requires_grad=True)
    torch.manual_seed(1)
    reference = torch.nn.functional.dropout(xt, p, training=True)
    reference.sum().backward()
    torch_kept = reference.detach().numpy() != 0
    for mask, values, grad in ((kept, out.numpy(), x.grad().numpy()),
                               (torch_kept, reference.detach().numpy(), xt.grad.numpy())):
        np.testing.assert_allclose(values, np.where(mask, x_np / (1 - p), 0.0), rtol=1e-15)
        np.testing.assert_allclose(grad, np.where(mask, 1 / (1 - p), 0.0), rtol=1e-15)
    # the same share of elements kept, within 5 standard deviations of a binomial
    sd = math.sqrt(x_np.size * p * (1 - p))
    assert abs(kept.sum() - x_np.size * (1 - p)) < 5 * sd
    assert abs(torch_kept.sum() - x_np.size * (1 - p)) < 5 * sd
    # evaluation: the identity for both
    layer = Dropout(p)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(x).numpy(), x_np)
    assert torch.equal(torch.nn.functional.dropout(xt, p, training=False), xt)


def test_dropout_network_matches_torch_given_the_same_masks(backend):
    # 30 training steps of a network with Dropout: torch repeats each of smolml's masks
    X, y = digits_like()
    smolml.manual_seed(4)
    network = NeuralNetwork([DenseLayer(8, 16, activation.relu), Dropout(0.3),
                             DenseLayer(16, 4)],
                            losses.cross_entropy_from_logits, optimizers.SGD(0.1))
    model = torch_copy(network)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    network.training = True
    for step in range(30):
        hidden = network.layers[0].forward(MLArray(X, requires_grad=False))
        dropped = network.layers[1].forward(hidden)
        loss = losses.cross_entropy_from_logits(network.layers[2].forward(dropped), y)
        mask = (dropped.numpy() != 0) / (1 - 0.3)
        loss.backward()
        for idx, layer in enumerate(network.layers):
            layer.update(network.optimizer, idx)
        for layer in network.layers:
            layer.restart()
        optimizer.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(
            model[3](model[1](model[0](Xt)) * torch.tensor(mask)), yt)
        torch_loss.backward()
        optimizer.step()
        assert float(loss) == pytest.approx(torch_loss.item(), rel=1e-9), f"step {step + 1}"
    np.testing.assert_allclose(network.layers[2].weights.numpy(),
                               model[3].weight.detach().numpy().T, rtol=1e-9, atol=1e-13)
