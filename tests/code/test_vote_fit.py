"""`python -m evals.vote_fit`: class offsets undo a member's bias, and cross-fitting never scores a row with
parameters fitted on it."""

import json

import numpy as np

from evals.metrics import macro_f1
from evals.vote_fit import Decision, SetScores, cross_fitted, fit_offsets, halves, main
from llm.labels import EMOTIONS

SURPRISE = EMOTIONS.index("surprise")


def _biased_scores(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gold labels and two members' log-probabilities that both under-call surprise by a wide margin."""
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, len(EMOTIONS), rows)
    members = []
    for _ in range(2):
        logits = rng.normal(0, 1, (rows, len(EMOTIONS)))
        logits[np.arange(rows), gold] += 2.5
        logits[:, SURPRISE] -= 2.0
        members.append(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))
    return gold, members[0], members[1]


def _set(name: str, rows: int, seed: int) -> SetScores:
    gold, llm, encoder = _biased_scores(rows, seed)
    vote = Decision({"llm": 0.5, "encoder": 0.5}, [0.0] * len(EMOTIONS))
    scores = SetScores(name, gold, {"llm": llm, "encoder": encoder}, np.empty_like(gold))
    scores.served = vote.predict(scores)
    return scores


def test_offsets_raise_the_label_both_members_under_call():
    sets = [_set("a", 600, 0), _set("b", 600, 1)]
    plain = Decision({"llm": 0.5, "encoder": 0.5}, [0.0] * len(EMOTIONS))
    fitted = fit_offsets(sets, plain.weights)
    assert fitted.offsets[SURPRISE] > max(fitted.offsets[:SURPRISE] + fitted.offsets[SURPRISE + 1:])
    gain = np.mean([macro_f1(s.gold, fitted.predict(s)) - macro_f1(s.gold, plain.predict(s))
                    for s in sets])
    assert gain > 0.05


def test_halves_split_every_set_into_two_disjoint_covering_parts():
    sets = [_set("a", 101, 0), _set("b", 40, 1)]
    for scores, (first, second) in zip(sets, halves(sets, seed=0), strict=True):
        assert not set(first) & set(second)
        assert sorted([*first, *second]) == list(range(scores.gold.size))


def test_cross_fitting_fits_on_the_other_half_only():
    sets = [_set("a", 200, 0)]
    seen = []

    def fit(train):  # records which gold rows each fold was fitted on
        seen.append(train[0].gold.size)
        return Decision({"llm": 1.0}, [0.0] * len(EMOTIONS))

    predictions = cross_fitted(sets, fit, seed=0)
    assert seen == [100, 100]
    assert np.array_equal(predictions[0], np.argmax(sets[0].logs["llm"], axis=1))


def _write_report(folder, scores: SetScores) -> None:
    folder.mkdir(parents=True)
    probabilities = {member: np.exp(logs) for member, logs in scores.logs.items()}
    with (folder / "predictions.jsonl").open("w") as out:
        for row, gold in enumerate(scores.gold):
            models = {member: {"predicted": EMOTIONS[int(np.argmax(p[row]))],
                               "scores": dict(zip(EMOTIONS, p[row].tolist(), strict=True))}
                      for member, p in probabilities.items()}
            models["served"] = {"predicted": EMOTIONS[int(scores.served[row])]}
            out.write(json.dumps({"gold": EMOTIONS[int(gold)], "models": models}) + "\n")


def test_the_command_writes_the_comparison(tmp_path, capsys):
    for name, seed in (("set-a", 0), ("set-b", 1)):
        _write_report(tmp_path / name, _set(name, 300, seed))
    assert main(["--report", str(tmp_path), "--members", "llm", "encoder"]) == 0
    written = json.loads((tmp_path / "vote_fit.json").read_text())
    assert written[0]["name"] == "A: class offsets"
    assert written[0]["cross_fitted_mean"] > np.mean([v["served_macro_f1"] for v in written[0]["per_set"].values()])
    assert "served - lever" in (tmp_path / "vote_fit.md").read_text()


def test_missing_members_are_a_clear_error(tmp_path, capsys):
    _write_report(tmp_path / "set-a", _set("set-a", 50, 0))
    assert main(["--report", str(tmp_path), "--members", "llm", "dair-only"]) == 2
    assert "has no scores for dair-only" in capsys.readouterr().err
    assert main(["--report", str(tmp_path / "nowhere"), "--members", "llm", "encoder"]) == 2
