"""Start in smolml, continue in PyTorch with data-parallel training, come back to smolml.

1. smolml trains a 64-32-10 network on the UCI digits (Adam, softmax + cross-entropy).
2. The network is saved to a .safetensors file and handed to PyTorch
   (`NeuralNetwork.to_torch()` gives an equal `torch.nn.Sequential`).
3. Two local worker processes train it further with `torch.distributed`:
   DistributedDataParallel over the gloo backend on 127.0.0.1, each worker seeing its
   half of every epoch (DistributedSampler) and the gradients averaged between them at
   every step. This script starts the workers itself, as `torchrun --nproc-per-node 2`
   would, and stops them if they take longer than --timeout seconds.
4. The trained parameters come back (`NeuralNetwork.from_torch`) and smolml measures
   the held-out accuracy again.

Needs PyTorch: pip install 'smolml[torch]'.

    python examples/continue_in_pytorch.py [--epochs 10] [--torch-epochs 5] [--samples 1797]
        [--output-dir DIR] [--backend pure]
"""
import argparse
import contextlib
import datetime
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

import smolml
from smolml import MLArray
from smolml.datasets import load_digits, train_test_split
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.utils import activation, initializers, losses, metrics, optimizers

WORLD_SIZE = 2


def digits(samples, seed):
    """The same train/held-out split in every process: pixels scaled to 0..1."""
    smolml.manual_seed(seed)
    X, y = load_digits()
    X, y = X[:samples] / 16.0, y[:samples]
    return train_test_split(X, y, test_size=0.25)


def held_out_accuracy(network, X_test, y_test):
    """The fraction of held-out digits whose most probable class is the right one."""
    predicted = network.predict(X_test).argmax(axis=1)
    return (predicted == MLArray(y_test, requires_grad=False)).mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs in smolml (default 10)")
    parser.add_argument("--torch-epochs", type=int, default=5,
                        help="epochs in PyTorch, over both workers (default 5)")
    parser.add_argument("--samples", type=int, default=1797, help="digits used (default all 1797)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="rows per step in smolml, and per worker in PyTorch (default 32)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds the PyTorch workers may take in all (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--output-dir", default=None,
                        help="where to keep the saved network, the workers' logs and what "
                             "they trained (default: a temporary directory, removed at the end)")
    parser.add_argument("--worker", nargs=2, metavar=("RANK", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=smolml.BACKENDS, default=smolml.get_backend(),
                        help="autograd backend (default: %(default)s, the active one)")
    args = parser.parse_args(argv)
    with smolml.use_backend(args.backend):
        return run(args)


def run(args):
    if args.worker:
        return worker(int(args.worker[0]), args.worker[1], args)

    from smolml.models.nn.torch_bridge import import_torch
    torch = import_torch()
    X_train, X_test, y_train, y_test = digits(args.samples, args.seed)
    network = NeuralNetwork(
        [DenseLayer(64, args.hidden, activation.relu, initializers.HeInitialization),
         DenseLayer(args.hidden, 10, activation.softmax)],
        losses.categorical_cross_entropy, optimizers.Adam(learning_rate=0.005))
    network.train(X_train, np.eye(10)[y_train], epochs=args.epochs,
                  batch_size=args.batch_size, verbose=False)
    before = held_out_accuracy(network, X_test, y_test)
    print(f"smolml, {args.epochs} epochs: held-out accuracy {before:.1%}")

    with contextlib.ExitStack() as stack:
        if args.output_dir is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="smolml-to-torch-"))
        else:
            folder = args.output_dir
            os.makedirs(folder, exist_ok=True)
        network.save(os.path.join(folder, "start.safetensors"))
        history = run_workers(folder, args)
        module = network.to_torch()           # the same layers, to receive the new numbers
        module.load_state_dict(torch.load(os.path.join(folder, "trained.pt"),
                                          weights_only=True))
    for epoch, loss in enumerate(history, 1):
        print(f"  PyTorch epoch {epoch}: mean cross-entropy {loss:.4f} over {WORLD_SIZE} workers")

    trained = NeuralNetwork.from_torch(module, losses.categorical_cross_entropy,
                                       optimizers.Adam(learning_rate=0.005))
    after = held_out_accuracy(trained, X_test, y_test)
    print(f"back in smolml after {args.torch_epochs} PyTorch epochs: held-out accuracy "
          f"{after:.1%} (accuracy() says {metrics.accuracy(trained.predict(X_test), y_test):.1%})")
    return {"accuracy_before": before, "accuracy_after": after, "torch_history": history,
            "network": trained, "module": module, "X_test": X_test}


def free_local_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_workers(folder, args):
    """Start WORLD_SIZE copies of this script as workers (as torchrun does), wait for
    them at most args.timeout seconds, and return rank 0's per-epoch losses."""
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_local_port()),
               WORLD_SIZE=str(WORLD_SIZE), GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1")
    options = [f"--{name}={getattr(args, name.replace('-', '_'))}"
               for name in ("torch-epochs", "samples", "batch-size", "timeout", "seed")]
    workers = []
    for rank in range(WORLD_SIZE):
        log = open(os.path.join(folder, f"worker{rank}.log"), "w")
        command = [sys.executable, os.path.abspath(__file__), *options,
                   "--worker", str(rank), folder]
        workers.append((subprocess.Popen(command, env=env, stdout=log,
                                         stderr=subprocess.STDOUT), log))
    deadline = time.monotonic() + args.timeout
    try:
        for process, _ in workers:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"the PyTorch workers did not finish in {args.timeout} s") from None
    finally:
        for process, log in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    for rank, (process, _) in enumerate(workers):
        if process.returncode != 0:
            with open(os.path.join(folder, f"worker{rank}.log")) as log:
                raise RuntimeError(f"PyTorch worker {rank} failed:\n{log.read()[-3000:]}")
    return [float(x) for x in np.loadtxt(os.path.join(folder, "history.txt"), ndmin=1)]


def worker(rank, folder, args):
    """One data-parallel worker: its shard of each epoch, gradients averaged with the
    other workers' by DistributedDataParallel at every backward()."""
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler

    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE,
                            timeout=datetime.timedelta(seconds=args.timeout))
    try:
        torch.manual_seed(args.seed)
        X_train, _, y_train, _ = digits(args.samples, args.seed)
        module = NeuralNetwork.load(os.path.join(folder, "start.safetensors")).to_torch()
        # the last module is the Softmax: PyTorch's cross_entropy takes the logits before
        # it (more stable than the log of probabilities); the slice shares the layers
        model = DistributedDataParallel(module[:-1])
        data = TensorDataset(torch.from_numpy(X_train), torch.from_numpy(y_train))
        sampler = DistributedSampler(data, num_replicas=WORLD_SIZE, rank=rank, seed=args.seed)
        loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
        history = []
        for epoch in range(args.torch_epochs):
            sampler.set_epoch(epoch)          # a new shuffle each epoch, the same on every rank
            total = torch.zeros(2, dtype=torch.float64)
            for X, y in loader:
                optimizer.zero_grad()
                loss = F.cross_entropy(model(X), y)
                loss.backward()               # DDP averages the gradients over the workers
                optimizer.step()
                total += torch.tensor([loss.item() * len(y), len(y)], dtype=torch.float64)
            dist.all_reduce(total)            # the epoch's mean loss over every worker's rows
            history.append(float(total[0] / total[1]))
        if rank == 0:
            torch.save(module.state_dict(), os.path.join(folder, "trained.pt"))
            np.savetxt(os.path.join(folder, "history.txt"), history)
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return history


if __name__ == "__main__":
    main()
