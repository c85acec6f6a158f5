"""The transformer baseline: an encoder with a classification head, behind the Classifier interface."""

from finetune.baseline.classifier import EncoderClassifier

__all__ = ["EncoderClassifier"]
