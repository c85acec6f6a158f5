"""The files an evaluation writes: metrics.json, predictions.jsonl, report.md (+ PNG plots), and the console table."""

import json
from pathlib import Path

from evals.dataset import EvalDataset
from evals.evaluate import ModelScores
from llm.labels import EMOTIONS

METRICS_JSON = "metrics.json"
PREDICTIONS_JSONL = "predictions.jsonl"
REPORT_MD = "report.md"
CONFUSION_PNG = "confusion_matrices.png"
PER_CLASS_PNG = "per_class_f1.png"
RELIABILITY_PNG = "reliability.png"
SUMMARY_MD = "summary.md"
SUMMARY_JSON = "summary.json"
MACRO_F1_BY_SET_PNG = "macro_f1_by_set.png"


def write_reports(results: dict, dataset: EvalDataset, scores: list[ModelScores], directory: Path) -> list[Path]:
    """Write every report file into ``directory`` (created if needed); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / METRICS_JSON).write_text(json.dumps(results, indent=2) + "\n")
    write_predictions(dataset, scores, directory / PREDICTIONS_JSONL)
    from evals import plots  # matplotlib takes seconds to import: only when writing

    plots.plot_confusion_matrices(results["models"], directory / CONFUSION_PNG)
    plots.plot_per_class_f1(results["models"], directory / PER_CLASS_PNG)
    plots.plot_reliability(results["models"], directory / RELIABILITY_PNG)
    (directory / REPORT_MD).write_text(markdown_report(results))
    return [directory / name for name in (METRICS_JSON, PREDICTIONS_JSONL, REPORT_MD, CONFUSION_PNG,
                                          PER_CLASS_PNG, RELIABILITY_PNG)]


def write_predictions(dataset: EvalDataset, scores: list[ModelScores], path: Path) -> None:
    """One JSON row per text: the text, its gold label and, per model, the prediction and all six scores."""
    with path.open("w", encoding="utf-8") as handle:
        for i, example in enumerate(dataset.examples):
            row = {"index": i, "text": example.text, "gold": example.label_text, "models": {}}
            for s in scores:
                p = s.run.predictions[i]
                row["models"][s.name] = (
                    {"predicted": p.emotion, "confidence": p.confidence, "scores": p.scores, "error": None}
                    if p is not None else
                    {"predicted": None, "confidence": None, "scores": None, "error": _failure(s, i)})
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_predictions(run_dir: Path) -> dict[str, list[dict]]:
    """A harness run's rows as ``write_predictions`` wrote them, per set folder (empty if it holds none)."""
    return {path.parent.name: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            for path in sorted(Path(run_dir).glob(f"*/{PREDICTIONS_JSONL}"))}


def _failure(scores: ModelScores, index: int) -> str:
    return next(f.error for f in scores.run.failures if f.index == index)


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _with_ci(m: dict, metric: str) -> str:
    low, high = m["ci"][metric]
    return f"{m[metric]:.3f} [{low:.3f}, {high:.3f}]"


def summary_rows(results: dict) -> list[list[str]]:
    """The side-by-side table: one row per model (header first)."""
    level = next(iter(results["models"].values()))["ci"]["level"]
    header = ["model", f"accuracy [{level:.0%} CI]", f"macro-F1 [{level:.0%} CI]", "weighted-F1", "ECE",
              "texts/s", "p50 ms", "p95 ms", "errors"]
    rows = [header]
    for name, m in results["models"].items():
        rows.append([name, _with_ci(m, "accuracy"), _with_ci(m, "macro_f1"), _num(m["weighted_f1"]),
                     _num(m["ece"]), _num(m["throughput_per_s"], 1), _num(m["latency_ms_p50"], 1),
                     _num(m["latency_ms_p95"], 1), str(m["errors"]["count"])])
    return rows


def _table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def console_table(results: dict) -> str:
    """The summary table aligned for a terminal."""
    return aligned(summary_rows(results))


def markdown_report(results: dict) -> str:
    """The human-readable report: tables, plots and the model-independent checks."""
    data, models = results["dataset"], results["models"]
    parts = [f"# Evaluation: {data['name']} ({data['split']}, n={data['n']})", ""]
    if "run" in results:
        parts += [f"Command: `{results['run']['command']}`  ", f"Created: {results['run']['created']}", ""]
    parts += ["## Summary", "", _table(summary_rows(results)), "",
              "Errors count as wrong answers. Latency is one text per request; throughput is batched.", "",
              "## Per-class F1", "", _per_class_table(models), "", f"![per-class F1]({PER_CLASS_PNG})", "",
              "## Confusion matrices", "", f"![confusion matrices]({CONFUSION_PNG})", "",
              "## Calibration", "", f"![reliability diagrams]({RELIABILITY_PNG})", "",
              "## Text length (words)", "", _length_table(models), ""]
    parts += _robustness_section(models) + _comparison_section(results.get("comparisons", []))
    parts += _errors_section(models) + _system_sections(results) + _gates_section(results)
    return "\n".join(parts).rstrip() + "\n"


def _per_class_table(models: dict) -> str:
    rows = [["label", "support", *models]]
    for label in EMOTIONS:
        support = next(iter(models.values()))["per_class"][label]["support"]
        rows.append([label, str(support), *(_num(m["per_class"][label]["f1"]) for m in models.values())])
    return _table(rows)


def _length_table(models: dict) -> str:
    buckets = list(dict.fromkeys(b for m in models.values() for b in m["slices"]["length_words"]))
    rows = [["words", "n", *(f"{name} acc / macro-F1" for name in models)]]
    for bucket in buckets:
        cells = [m["slices"]["length_words"].get(bucket) for m in models.values()]
        n = next(c["n"] for c in cells if c)
        rows.append([bucket, str(n), *(f"{c['accuracy']:.3f} / {c['macro_f1']:.3f}" if c else "n/a"
                                        for c in cells)])
    return _table(rows)


def _robustness_section(models: dict) -> list[str]:
    variants = list(dict.fromkeys(v for m in models.values() for v in m["robustness"]))
    if not variants:
        return []
    rows = [["variant", *(f"{name} flips (rate)" for name in models)]]
    for variant in variants:
        cells = [m["robustness"].get(variant) for m in models.values()]
        rows.append([variant, *(f"{c['flips']}/{c['n']} ({_num(c['flip_rate'])})" if c else "n/a"
                                for c in cells)])
    intro = ("How often the prediction changes when the same text is re-cased, punctuated or has its "
             "contractions re-joined (a seeded subset of the texts).")
    return ["## Robustness to journal-style surface changes", "", intro, "", _table(rows), ""]


def _comparison_section(comparisons: list[dict]) -> list[str]:
    if not comparisons:
        return []
    rows = [["a vs b", "macro-F1 a - b [CI]", "p (paired bootstrap)", "only a right / only b right",
             "p (exact McNemar)"]]
    for c in comparisons:
        d, mc = c["macro_f1_difference"], c["mcnemar"]
        rows.append([f"{c['a']} vs {c['b']}", f"{d['difference']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]",
                     f"{d['p_value']:.4f}", f"{mc['only_a_correct']} / {mc['only_b_correct']}",
                     f"{mc['p_value']:.4g}"])
    return ["## Paired comparisons (same texts)", "", _table(rows), ""]


def _errors_section(models: dict) -> list[str]:
    failing = {name: m["errors"] for name, m in models.items() if m["errors"]["count"]}
    if not failing:
        return ["## Errors", "", "No model failed on any input.", ""]
    lines = ["## Errors", ""]
    for name, errors in failing.items():
        lines.append(f"- **{name}**: {errors['count']} inputs failed ({errors['rate']:.1%}), e.g.")
        lines += [f"  - #{e['index']} `{e['text'][:80]}`: {e['error']}" for e in errors["examples"]]
    return [*lines, ""]


def _system_sections(results: dict) -> list[str]:
    lines = []
    safety, retrieval = results.get("safety"), results.get("retrieval")
    if safety is not None:
        summary = (f"Recall {_num(safety['recall'])}, precision {_num(safety['precision'])} on {safety['n']} "
                   f"labelled texts ({safety['path']}){_split_note(safety, ('recall', 'precision'))}."
                   if safety["available"] else f"Not available: {safety['reason']}.")
        lines += ["## Safety: crisis screen", "", summary, ""]
    if retrieval is not None:
        summary = (f"hit@{retrieval['k']} {_num(retrieval['hit_at_k'])}, MRR {_num(retrieval['mrr'])} on "
                   f"{retrieval['n']} queries ({retrieval['path']}){_split_note(retrieval, ('hit_at_k', 'mrr'))}."
                   if retrieval["available"] else f"Not available: {retrieval['reason']}.")
        lines += ["## Retrieval: knowledge base", "", summary, ""]
    return lines


def _split_note(section: dict, keys: tuple[str, str]) -> str:
    splits = section.get("splits", {})
    return "".join(f"; {name}: {_num(s[keys[0]])} / {_num(s[keys[1]])} (n={s['n']})" for name, s in splits.items())


def _gates_section(results: dict) -> list[str]:
    if "gates" not in results:
        return []
    gates = results["gates"]
    lines = ["## Gates", "", f"**{'PASSED' if gates['passed'] else 'FAILED'}**", ""]
    return lines + [f"- {c['message']}" for c in gates["checks"]] + [""]


def multi_set_rows(per_set: list[tuple[str, dict]]) -> list[list[str]]:
    """One row per model and eval set (header first)."""
    rows = [["set", "n", "model", "accuracy [95% CI]", "macro-F1 [95% CI]", "weighted-F1", "ECE"]]
    for label, results in per_set:
        for name, m in results["models"].items():
            rows.append([label, str(m["n"]), name, _with_ci(m, "accuracy"), _with_ci(m, "macro_f1"),
                         _num(m["weighted_f1"]), _num(m["ece"])])
    return rows


def multi_set_comparison_rows(per_set: list[tuple[str, dict]]) -> list[list[str]]:
    """The paired tests of every model pair on every set (header first)."""
    rows = [["set", "a vs b", "macro-F1 a - b [CI]", "p (paired bootstrap)", "only a / only b right",
             "p (exact McNemar)"]]
    for label, results in per_set:
        for c in results.get("comparisons", []):
            d, mc = c["macro_f1_difference"], c["mcnemar"]
            rows.append([label, f"{c['a']} vs {c['b']}",
                         f"{d['difference']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]", f"{d['p_value']:.4f}",
                         f"{mc['only_a_correct']} / {mc['only_b_correct']}", f"{mc['p_value']:.4g}"])
    return rows


def write_multi_summary(per_set: list[tuple[str, dict]], directory: Path) -> list[Path]:
    """summary.md (tables across the sets, plot, links to each set's report), summary.json and the plot."""
    from evals import plots

    directory.mkdir(parents=True, exist_ok=True)
    plots.plot_macro_f1_by_set(per_set, directory / MACRO_F1_BY_SET_PNG)
    summary = {label: {"dataset": results["dataset"], "models": {
        name: {k: m[k] for k in ("accuracy", "macro_f1", "weighted_f1", "ece", "n", "ci", "model")}
        for name, m in results["models"].items()}, "comparisons": results.get("comparisons", [])}
        for label, results in per_set}
    (directory / SUMMARY_JSON).write_text(json.dumps(summary, indent=2) + "\n")
    run = per_set[0][1].get("run", {})
    parts = ["# Evaluation across sets", ""]
    if run:
        parts += [f"Command: `{run['command']}`  ", f"Created: {run['created']}", ""]
    parts += [_table(multi_set_rows(per_set)), "", f"![macro-F1 by set]({MACRO_F1_BY_SET_PNG})", ""]
    comparisons = multi_set_comparison_rows(per_set)
    if len(comparisons) > 1:
        parts += ["## Paired comparisons (same texts)", "", _table(comparisons), ""]
    parts += ["## Reports per set", ""] + [f"- [{label}]({label}/{REPORT_MD})" for label, _ in per_set] + [""]
    (directory / SUMMARY_MD).write_text("\n".join(parts))
    return [directory / name for name in (SUMMARY_MD, SUMMARY_JSON, MACRO_F1_BY_SET_PNG)]


def aligned(rows: list[list[str]]) -> str:
    """Rows aligned for a terminal (header underlined)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])
