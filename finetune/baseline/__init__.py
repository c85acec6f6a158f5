"""Training the transformer baseline: an encoder with a classification head (inference: ``llm.encoder``)."""
