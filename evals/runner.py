"""Run a classifier over texts: batched, timed, with a progress bar, capturing failures per input."""

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from llm.classifier import Classifier, ClassifierError
from llm.labels import EMOTIONS
from llm.prediction import Prediction


@dataclass(frozen=True)
class InputFailure:
    """One input the model could not score."""

    index: int
    text: str
    error: str


@dataclass
class RunResult:
    """Predictions in input order (None where the model failed), the failures, and the time spent predicting."""

    predictions: list[Prediction | None]
    failures: list[InputFailure] = field(default_factory=list)
    seconds: float = 0.0


def check_predictions(predictions: object, expected: int) -> list[Prediction]:
    """A classifier's answer must be one valid six-label Prediction per text; anything else is a failure."""
    if not isinstance(predictions, list) or len(predictions) != expected:
        got = len(predictions) if isinstance(predictions, list) else type(predictions).__name__
        raise ClassifierError(f"expected {expected} predictions, got {got}")
    for p in predictions:
        if not isinstance(p, Prediction) or set(p.scores) != set(EMOTIONS) or p.emotion not in EMOTIONS:
            raise ClassifierError(f"not a six-label prediction: {p!r}"[:200])
        if not math.isclose(sum(p.scores.values()), 1.0, abs_tol=1e-3):
            raise ClassifierError(f"scores sum to {sum(p.scores.values()):.4f}, not 1")
    return predictions


def predict_all(classifier: Classifier, texts: Sequence[str], batch_size: int, desc: str = "predicting",
                progress: bool = True) -> RunResult:
    """Predict every text once, in batches of similar length; a failing batch is retried text by text."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    result = RunResult(predictions=[None] * len(texts))
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress, leave=False) as bar:
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            began = time.perf_counter()
            for index, outcome in zip(rows, _predict_batch(classifier, [texts[i] for i in rows]), strict=True):
                if isinstance(outcome, Prediction):
                    result.predictions[index] = outcome
                else:
                    result.failures.append(InputFailure(index, texts[index], outcome))
            result.seconds += time.perf_counter() - began
            bar.update(len(rows))
    result.failures.sort(key=lambda f: f.index)
    return result


def _predict_batch(classifier: Classifier, texts: list[str]) -> list[Prediction | str]:
    try:
        return check_predictions(classifier.predict(texts), len(texts))
    except Exception:  # find out which inputs fail, one by one
        return [_predict_one(classifier, text) for text in texts]


def _predict_one(classifier: Classifier, text: str) -> Prediction | str:
    try:
        return check_predictions(classifier.predict([text]), 1)[0]
    except Exception as error:  # any failure of the model on this input is reported
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"{type(error).__name__}: {message}"[:300]


def single_text_latencies(classifier: Classifier, texts: Sequence[str], samples: int, seed: int = 0) -> list[float]:
    """Milliseconds per one-text request (as a journaling user sends them) on a seeded sample of texts.

    The first request warms the model up and is not counted; failed requests are skipped.
    """
    chosen = random.Random(seed).sample(list(texts), min(samples, len(texts)))
    _predict_one(classifier, chosen[0])
    latencies = []
    for text in chosen:
        began = time.perf_counter()
        if isinstance(_predict_one(classifier, text), Prediction):
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies
