"""smolml models: neural networks, regression, trees, unsupervised learning."""
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.regression import LinearRegression, PolynomialRegression
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans

__all__ = ["DenseLayer", "NeuralNetwork", "LinearRegression", "PolynomialRegression",
           "DecisionTree", "RandomForest", "KMeans"]
