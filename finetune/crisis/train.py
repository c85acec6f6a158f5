"""Train the crisis-screen classifier: k-fold cross-validation chooses the threshold, then one model on all rows.

Out-of-fold scores are the honest estimate of how the threshold behaves on unseen text, so the threshold is
the highest one at which the screen as deployed (the model with the rules beside it, or the model alone)
reaches the recipe's target recall out of fold. The final adapter, trained on every row, is saved with that
threshold, its screen, and the cross-validation numbers of every screen in ``crisis_model.json``.
"""

import contextlib
import json
import logging
import random
import re
from pathlib import Path

import numpy as np
import torch
from peft import get_peft_model
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from finetune.crisis.config import CrisisConfig, CrisisDataSettings
from finetune.crisis.report import write_cross_validation_report
from finetune.engine import lr_lambda
from finetune.tracking import RunTracker
from llm.datasets import load_split
from llm.device import resolve_device
from llm.loading import adapter_version
from llm.paths import project_path
from llm.safety.model import METADATA_FILE, RULES_MODES, SCORING_MODES, CrisisModel, load_classifier_base
from llm.safety.rules import matched_rules
from llm.safety.sets import CrisisSet, crisis_sets, training_sets

log = logging.getLogger("finetune.crisis")


def ordinary_rows(settings: CrisisDataSettings, seed: int) -> list[dict]:
    """Everyday emotional texts as non-risk rows: they teach the model that sadness alone is not risk."""
    if settings.ordinary_negatives == 0:
        return []
    examples = load_split("train", settings.ordinary_source)
    order = random.Random(seed).sample(range(len(examples)), len(examples))
    rows = []
    for index in order:
        if len(rows) == settings.ordinary_negatives:
            break
        if not matched_rules(examples[index].text):  # a text the rules flag may be real risk: leave it out
            rows.append({"text": examples[index].text, "crisis": False, "kind": "ordinary"})
    return rows


def word_runs(text: str, length: int) -> set[str]:
    """Every run of ``length`` consecutive words in ``text`` (lowercased)."""
    words = re.findall(r"[a-z']+", text.lower())
    return {" ".join(words[i:i + length]) for i in range(len(words) - length + 1)}


def drop_overlapping(rows: list[dict], held_out: list[dict], length: int) -> list[dict]:
    """``rows`` without those sharing a ``length``-word run with a held-out row, so no test text is trained on."""
    if length == 0 or not held_out:
        return rows
    held_out_runs = set().union(*(word_runs(row["text"], length) for row in held_out))
    kept = [row for row in rows if not word_runs(row["text"], length) & held_out_runs]
    log.info("leak guard: %d training rows share a %d-word run with a held-out row and are dropped",
             len(rows) - len(kept), length)
    return kept


def chosen_sets(settings: CrisisDataSettings, sets: dict[str, CrisisSet]) -> list[str]:
    """The sets of the manifest (``sets``, as ``crisis_sets`` read it) this recipe trains on, refusing unknown names
    and blind sets."""
    chosen = training_sets(sets) if settings.sets is None else settings.sets
    for name in chosen:
        if name not in sets:
            raise ValueError(f"data.sets: {name!r} is not in {settings.manifest} ({', '.join(sets)})")
        if sets[name].role == "blind-dev" or sets[name].content != "risk":
            raise ValueError(f"data.sets: {name!r} is a {sets[name].role} set of {sets[name].content} entries: "
                             "training never reads it")
    return chosen


def load_rows(settings: CrisisDataSettings, seed: int = 0) -> list[dict]:
    """The rows of the recipe's sets (in the manifest's order), minus any row that overlaps a row of a set it does
    not train on (spent or blind-dev), plus ordinary texts."""
    sets = crisis_sets(project_path(settings.manifest))
    chosen = chosen_sets(settings, sets)
    rows, held_out = [], []
    for name, entry in sets.items():
        if name in chosen:
            rows += entry.read()
        elif entry.role != "train":
            held_out += entry.read()
    rows = drop_overlapping(rows, held_out, settings.overlap_words) + ordinary_rows(settings, seed)
    labels = {row["crisis"] for row in rows}
    if labels != {True, False}:
        raise ValueError(f"crisis training data needs both labels, found {sorted(labels)}")
    return rows


def choose_threshold(probabilities: list[float], labels: list[bool], target_recall: float,
                     caught: list[bool] | None = None) -> float:
    """The highest threshold at which the screen reaches ``target_recall``: rows in ``caught`` (flagged by the
    rules, which run beside the model) count as found whatever their score."""
    caught = caught or [False] * len(labels)
    needed = int(np.ceil(target_recall * sum(labels))) - sum(c and y for c, y in zip(caught, labels, strict=True))
    if needed <= 0:
        return 1.0
    left = sorted((p for p, y, c in zip(probabilities, labels, caught, strict=True) if y and not c), reverse=True)
    return float(left[needed - 1])


def recall_precision(probabilities: list[float], labels: list[bool], threshold: float,
                     ordinary: list[bool], caught: list[bool]) -> dict[str, float]:
    """Recall and precision of the screen at ``threshold`` (a row in ``caught``, flagged by the rules, counts
    as flagged), and the share of the everyday (``ordinary``) texts it flags."""
    flagged = [p >= threshold or c for p, c in zip(probabilities, caught, strict=True)]
    true_positives = sum(f and y for f, y in zip(flagged, labels, strict=True))
    flagged_ordinary = sum(f and o for f, o in zip(flagged, ordinary, strict=True))
    return {"recall": true_positives / max(1, sum(labels)), "precision": true_positives / max(1, sum(flagged)),
            "ordinary_flag_rate": flagged_ordinary / max(1, sum(ordinary)), "n": len(labels)}


def length_grouped_batches(lengths: list[int], batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """Shuffled batches of similar lengths (little padding): sort within random windows of 8 batches."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = batch_size * 8
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lengths.__getitem__)
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def fit(config: CrisisConfig, texts: list[str], labels: list[bool], seed: int, description: str):
    """Fine-tune a fresh LoRA adapter (and head) on ``texts``; returns (model, tokenizer)."""
    settings = config.training
    random.seed(seed)
    torch.manual_seed(seed)
    base, tokenizer = load_classifier_base(config.encoder)
    device = resolve_device(settings.device)
    model = get_peft_model(base.to(device), config.lora.peft_config())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate,
                                  weight_decay=settings.weight_decay)
    steps_per_epoch = -(-len(texts) // settings.batch_size)
    total = steps_per_epoch * settings.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(total, int(0.06 * total), "linear"))
    targets = torch.tensor([int(y) for y in labels], device=device)
    # bf16 autocast on GPUs (fp32 master weights); the CPU path stays in fp32
    precision = torch.autocast("cuda", torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    generator = torch.Generator().manual_seed(seed)
    lengths = [len(tokenizer(text, truncation=True, max_length=settings.max_length)["input_ids"]) for text in texts]
    model.train()
    with tqdm(total=total, desc=description, leave=False) as progress:
        for _epoch in range(settings.epochs):
            for rows in length_grouped_batches(lengths, settings.batch_size, generator):
                inputs = tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                   max_length=settings.max_length, return_tensors="pt").to(device)
                with precision:
                    logits = model(**inputs).logits
                loss = torch.nn.functional.cross_entropy(logits.float(), targets[rows])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                progress.update()
                progress.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval(), tokenizer


def cross_validate(config: CrisisConfig, texts: list[str], labels: list[bool]) -> dict[str, list[float]]:
    """Out-of-fold risk scores of every row, under each scoring mode (as at serving time)."""
    settings = config.training
    folds = StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed)
    scores = {mode: [0.0] * len(texts) for mode in SCORING_MODES}
    for fold, (train_rows, test_rows) in enumerate(folds.split(texts, labels), 1):
        model, tokenizer = fit(config, [texts[i] for i in train_rows], [labels[i] for i in train_rows],
                               settings.seed + fold, f"fold {fold}/{settings.folds}")
        for mode in SCORING_MODES:
            scorer = CrisisModel(model, tokenizer, threshold=0.5, max_length=settings.max_length, scoring=mode)
            for row, score in zip(test_rows, scorer.risk([texts[i] for i in test_rows]), strict=True):
                scores[mode][row] = score
        log.info("fold %d/%d done", fold, settings.folds)
    return scores


def screen_name(scoring: str, rules: str) -> str:
    """How the cross-validation record names a screen: its scoring mode and how the rules join the model."""
    return f"{scoring}, rules {rules}"


def operating_points(scores: dict[str, list[float]], labels: list[bool], ordinary: list[bool], caught: list[bool],
                     target_recall: float) -> dict[str, dict]:
    """For each screen (scoring mode x rules mode): the threshold at which it reaches the target recall out of
    fold, and what it does there. ``caught`` marks the rows the rules flag; they count only with rules beside."""
    points = {}
    for scoring, mode_scores in scores.items():
        for rules in RULES_MODES:
            rule_hits = caught if rules == "beside" else [False] * len(labels)
            threshold = choose_threshold(mode_scores, labels, target_recall, rule_hits)
            name = screen_name(scoring, rules)
            points[name] = {"scoring": scoring, "rules": rules, "threshold": threshold,
                            **recall_precision(mode_scores, labels, threshold, ordinary, rule_hits)}
            log.info("%s: threshold %.4f, out-of-fold recall %.3f precision %.3f, everyday texts flagged %.3f",
                     name, threshold, points[name]["recall"], points[name]["precision"],
                     points[name]["ordinary_flag_rate"])
    return points


def best_screen(points: dict[str, dict], scoring: str = "auto", rules: str = "auto") -> str:
    """Among the screens the recipe allows (``auto`` allows every mode), the one with the highest out-of-fold
    precision at the target recall (then fewer everyday flags)."""
    allowed = [name for name, point in points.items()
               if scoring in ("auto", point["scoring"]) and rules in ("auto", point["rules"])]
    return max(allowed, key=lambda name: (points[name]["precision"], -points[name]["ordinary_flag_rate"]))


def _name_the_base_model(output: Path, encoder: str) -> None:
    """Record the encoder by its recipe name, not by this machine's path to it."""
    adapter_config = json.loads((output / "adapter_config.json").read_text())
    adapter_config["base_model_name_or_path"] = encoder
    (output / "adapter_config.json").write_text(json.dumps(adapter_config, indent=2) + "\n")


def model_card(metadata: dict) -> str:
    """A short model card: what it is, the data, the cross-validated operating point, how to rebuild it."""
    cv, data = metadata["cross_validation"], metadata["data"]
    how = {"sentences": "the highest score over the entry and each of its sentences",
           "windows": "the highest score over overlapping windows of the entry as written"}[metadata["scoring"]]
    rules = {"beside": "It runs beside the rules of `llm/safety/rules.py`; either one flags an entry.",
             "fallback": "It decides alone; the rules of `llm/safety/rules.py` screen only when no model is loaded and for text without words."}
    return (f"# Crisis-screen model ({metadata['encoder']} + LoRA)\n\n"
            f"Scores self-harm and suicide risk in a journal entry (label 1 = risk): {how} is compared with the "
            f"threshold. {rules[metadata['rules']]} A screen, not a diagnosis.\n\n"
            f"- data: {data['n']} labelled texts ({data['risk']} risk) from the sets {', '.join(data['sets'])} of "
            f"{data['manifest']}, {data['ordinary']} of them everyday texts from the emotion dataset's train split\n"
            f"- scoring: {metadata['scoring']}, rules {metadata['rules']} (see `llm/safety/model.py`), chosen by "
            "out-of-fold precision\n"
            f"- threshold: {metadata['threshold']:.4f}, chosen by {metadata['recipe']['training']['folds']}-fold "
            "cross-validation: the highest at which this screen reaches out-of-fold recall >= "
            f"{metadata['recipe']['training']['target_recall']}\n"
            f"- the screen out of fold at that threshold: recall {cv['recall']:.3f}, precision {cv['precision']:.3f}, "
            f"everyday texts flagged {cv['ordinary_flag_rate']:.3f}\n"
            f"- version: {metadata['version']}\n\n"
            "Rebuild: `python -m finetune.crisis --config RECIPE output_dir=...` with the crisis recipe in "
            f"`configs/finetune/` whose encoder is {metadata['encoder']}; the full recipe is also stored under "
            f"`recipe` in `{METADATA_FILE}`.\n")


def train_crisis_model(config: CrisisConfig) -> dict:
    """Cross-validate, choose the threshold, train on every row, save adapter + metadata; returns the metadata."""
    rows = load_rows(config.data, config.training.seed)
    texts, labels = [row["text"] for row in rows], [row["crisis"] for row in rows]
    trained_on = chosen_sets(config.data, crisis_sets(project_path(config.data.manifest)))
    log.info("%d texts (%d risk) from the sets %s", len(texts), sum(labels), ", ".join(trained_on))
    tracker = RunTracker(config.tracking.enabled, config.tracking.tracking_uri, config.tracking.experiment,
                         config.tracking.run_name, config.model_dump())
    ordinary = [row.get("kind") == "ordinary" for row in rows]
    caught = [bool(matched_rules(text)) for text in texts]
    out_of_fold = cross_validate(config, texts, labels)
    points = operating_points(out_of_fold, labels, ordinary, caught, config.training.target_recall)
    chosen = best_screen(points, config.scoring, config.rules)
    scoring, rules, threshold = (points[chosen][key] for key in ("scoring", "rules", "threshold"))
    cross_validation = {key: value for key, value in points[chosen].items()
                        if key not in ("scoring", "rules", "threshold")}
    model, _ = fit(config, texts, labels, config.training.seed, "final model")
    output = Path(config.output_dir)
    model.save_pretrained(output)
    _name_the_base_model(output, config.encoder)
    metadata = {"encoder": config.encoder, "scoring": scoring, "rules": rules, "threshold": threshold,
                "max_length": config.training.max_length, "version": adapter_version(output),
                "cross_validation": cross_validation, "cross_validation_by_screen": points,
                "data": {"manifest": config.data.manifest, "sets": trained_on, "n": len(texts),
                         "risk": sum(labels), "ordinary": sum(ordinary)},
                "recipe": config.model_dump()}
    (output / METADATA_FILE).write_text(json.dumps(metadata, indent=1) + "\n")
    write_cross_validation_report(output, texts, labels, out_of_fold, points, chosen)
    (output / "README.md").write_text(model_card(metadata))
    tracker.log_metrics({f"cv_{point['scoring']}_rules_{point['rules']}_{key}": value for point in points.values()
                         for key, value in point.items() if key not in ("scoring", "rules")}, 0)
    tracker.log_artifacts(output, "crisis-model")
    tracker.end()
    return metadata
