"""smolml models: neural networks, regression, trees, unsupervised learning, SVMs."""
from smolml.models.nn import DenseLayer, NeuralNetwork
from smolml.models.regression import LinearRegression, PolynomialRegression
from smolml.models.tree import DecisionTree, RandomForest
from smolml.models.unsupervised import KMeans
from smolml.models.svm import SVM, SVMMulticlass, SVR

__all__ = ["DenseLayer", "NeuralNetwork", "LinearRegression", "PolynomialRegression",
           "DecisionTree", "RandomForest", "KMeans", "SVM", "SVMMulticlass", "SVR"]
