"""Dense neural networks: `DenseLayer`, `Dropout` and `NeuralNetwork`."""
from smolml.models.nn.dropout import Dropout
from smolml.models.nn.layer import DenseLayer
from smolml.models.nn.neural_network import NeuralNetwork

__all__ = ["DenseLayer", "Dropout", "NeuralNetwork"]
