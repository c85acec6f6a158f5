"""Classifier backends: transformers (PyTorch, CPU or GPU) and vLLM."""
