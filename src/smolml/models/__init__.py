"""smolml models: neural networks, regression, trees, unsupervised learning."""
