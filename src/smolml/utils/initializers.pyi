from smolml._types import DTypeLike
from smolml.core.ml_array import MLArray

class WeightInitializer:
    @staticmethod
    def initialize(*dims: int, dtype: DTypeLike = ...) -> MLArray: ...

class RandomUniform(WeightInitializer):
    @staticmethod
    def initialize(*dims: int, limit: float = ..., dtype: DTypeLike = ...) -> MLArray: ...

class XavierUniform(WeightInitializer):
    @staticmethod
    def initialize(*dims: int, dtype: DTypeLike = ...) -> MLArray: ...

class XavierNormal(WeightInitializer):
    @staticmethod
    def initialize(*dims: int, dtype: DTypeLike = ...) -> MLArray: ...

class HeInitialization(WeightInitializer):
    @staticmethod
    def initialize(*dims: int, dtype: DTypeLike = ...) -> MLArray: ...
