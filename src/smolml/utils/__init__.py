"""Building blocks shared by smolml's models: activations, initializers, losses,
optimizers, metrics and memory measurement."""
