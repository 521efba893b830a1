"""Regression models trained by gradient descent: `LinearRegression`, `PolynomialRegression`."""
from smolml.models.regression.regression import Regression, LinearRegression, PolynomialRegression

__all__ = ["Regression", "LinearRegression", "PolynomialRegression"]
