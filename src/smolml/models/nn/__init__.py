"""Dense neural networks: `DenseLayer` and `NeuralNetwork`."""
from smolml.models.nn.layer import DenseLayer
from smolml.models.nn.neural_network import NeuralNetwork

__all__ = ["DenseLayer", "NeuralNetwork"]
