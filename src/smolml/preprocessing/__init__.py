"""Feature scaling: `StandardScaler` (zero mean, unit variance) and `MinMaxScaler` ([0, 1])."""
from smolml.preprocessing.scalers import StandardScaler, MinMaxScaler

__all__ = ["StandardScaler", "MinMaxScaler"]
