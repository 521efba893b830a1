"""Unsupervised models: `KMeans` clustering."""
from smolml.models.unsupervised.kmeans import KMeans

__all__ = ["KMeans"]
