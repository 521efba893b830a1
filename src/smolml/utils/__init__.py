"""Building blocks shared by smolml's models: activations, initializers, losses,
optimizers, learning-rate schedulers, gradient clipping, metrics and memory measurement."""
from smolml.utils.clipping import clip_grad_norm

__all__ = ["clip_grad_norm"]
