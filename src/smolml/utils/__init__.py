"""Building blocks shared by smolml's models: activations, initializers, losses,
optimizers and memory measurement."""
