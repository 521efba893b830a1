"""A neural network built node by node: 2 inputs, 2 hidden neurons, 1 output.

Each node is an object that knows its input nodes; a neuron's output is
sigmoid(Σ wᵢ·inputᵢ) with no bias, computed with smolml `Value`s. Nothing is a
matrix or a layer: the nodes form a graph that may be wired any way (`--shortcut`
also connects the second input straight to the output neuron). Training needs no
hand-written delta rule: the loss ½(prediction − target)² is a `Value`, and
`loss.backward()` fills every weight's `.grad`. The first step prints the classic
delta-rule gradients next to backward's, to show they are the same numbers.

    python examples/node_network.py [--iterations 100] [--learning-rate 1.0] [--shortcut]
"""
import argparse
import random

import smolml
from smolml import Value


class InputNode:
    """A number fed into the network; it needs no gradient."""

    def __init__(self, value):
        self.output = Value(float(value), requires_grad=False)
        self.input_nodes = []

    def connect_forward(self, neuron):
        neuron.add_input(self)
        return self

    def compute(self):
        pass


class Neuron:
    """output = sigmoid(Σ wᵢ·xᵢ) over its input nodes, one weight per connection."""

    def __init__(self, draw):
        self.draw = draw
        self.input_nodes = []
        self.weights = []
        self.output = None

    def add_input(self, node):
        self.input_nodes.append(node)
        self.weights.append(Value(self.draw.gauss(0.0, 1.0)))

    def connect_forward(self, neuron):
        neuron.add_input(self)
        return self

    def compute(self):
        total = sum(w * node.output for w, node in zip(self.weights, self.input_nodes))
        self.output = total.sigmoid()


def connect_layer_forward(input_nodes, neurons):
    """Every node of `input_nodes` feeds every neuron of `neurons`."""
    for node in input_nodes:
        for neuron in neurons:
            node.connect_forward(neuron)


def evaluation_order(output):
    """Every node `output` depends on, inputs before the neurons that read them:
    a depth-first post-order with an explicit stack, the same walk backward() does."""
    order, seen, stack = [], {id(output)}, [(output, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        stack.append((node, True))
        for source in reversed(node.input_nodes):
            if id(source) not in seen:
                seen.add(id(source))
                stack.append((source, False))
    return order


def forward(output):
    for node in evaluation_order(output):
        node.compute()
    return output.output


def delta_rule_gradients(inputs, hidden, output, target):
    """The gradients the classic delta rule gives for the layered 2-2-1 network:
    δ_out = (y' − y)·y'(1 − y'),  δ_j = w_j,out·δ_out·h_j(1 − h_j),
    ∂L/∂w_j,out = δ_out·h_j,      ∂L/∂w_i,j = δ_j·x_i."""
    y = output.output.data
    delta_out = (y - target) * y * (1 - y)
    grads = {}
    for j, neuron in enumerate(hidden):
        h = neuron.output.data
        grads[("output", j)] = delta_out * h
        delta_j = output.weights[j].data * delta_out * h * (1 - h)
        for i, node in enumerate(inputs):
            grads[("hidden", j, i)] = delta_j * node.output.data
    return grads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100, help="training steps (default 100)")
    parser.add_argument("--learning-rate", type=float, default=1.0, help="(default 1.0)")
    parser.add_argument("--inputs", type=float, nargs=2, default=[0.0, 1.0],
                        help="the two input values (default 0 1)")
    parser.add_argument("--target", type=float, default=1.0, help="wanted output (default 1)")
    parser.add_argument("--shortcut", action="store_true",
                        help="also connect the second input straight to the output neuron")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--backend", choices=smolml.BACKENDS, default=smolml.get_backend(),
                        help="autograd backend (default: %(default)s, the active one)")
    args = parser.parse_args(argv)
    with smolml.use_backend(args.backend):
        return run(args)


def run(args):
    draw = random.Random(args.seed)
    inputs = [InputNode(x) for x in args.inputs]
    hidden = [Neuron(draw), Neuron(draw)]
    connect_layer_forward(inputs, hidden)
    output = Neuron(draw)
    connect_layer_forward(hidden, [output])
    if args.shortcut:
        inputs[1].connect_forward(output)
    weights = [w for neuron in hidden + [output] for w in neuron.weights]
    print(f"A {len(weights)}-weight network of nodes on the '{smolml.get_backend()}' backend; "
          f"input {args.inputs}, target {args.target}")
    print(f"Prediction before training: {forward(output).data:.4f}")

    predictions = []
    for step in range(args.iterations + 1):
        prediction = forward(output)
        predictions.append(prediction.data)
        if step % 10 == 0:
            print(f"  it {step:3d}  prediction {prediction.data:.4f}")
        if step == args.iterations:
            break
        loss = 0.5 * (prediction - args.target) ** 2
        loss.backward()
        if step == 0 and not args.shortcut:
            by_hand = delta_rule_gradients(inputs, hidden, output, args.target)
            worst = max(abs(by_hand[("output", j)] - output.weights[j].grad) for j in range(2))
            worst = max([worst] + [abs(by_hand[("hidden", j, i)] - hidden[j].weights[i].grad)
                                   for j in range(2) for i in range(2)])
            print(f"  backward() and the delta rule agree to {worst:.1e}")
        for w in weights:
            w.data -= args.learning_rate * w.grad
            w.grad = 0.0
    print(f"Prediction after {args.iterations} iterations: {predictions[-1]:.4f} "
          f"(target {args.target})")
    return {"predictions": predictions, "weights": [w.data for w in weights]}


if __name__ == "__main__":
    main()
