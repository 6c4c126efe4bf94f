"""Train, cross-validate and package the learned triage layer (bot/triage/model.py).

    .venv/bin/python tools/train_triage.py            # train on every batch, write the model
    .venv/bin/python tools/train_triage.py --cv       # also leave-one-batch-out CV + thresholds
    .venv/bin/python tools/train_triage.py --history  # fresh-batch replay against old rules
    .venv/bin/python tools/train_triage.py --score heldout5  # model trained without heldout5

Needs numpy (a development dependency); the packaged model is read in pure Python.

Training data: every labelled case in tests/triage_cases/ with a level and no craving number
(craving answers are the rules' job; a digit must not teach the model "urgent"). Each text is
read through the rules' own preparation (matching.prepare), so the model sees the same
normalised spelling the rules see.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.triage import load_rules, triage  # noqa: E402
from bot.triage.matching import prepare  # noqa: E402
from bot.triage.model import CLASSES, MODEL_FILE, features, model_from_dict, model_to_dict  # noqa: E402
from bot.triage.rules import ModelSettings  # noqa: E402
from tests.test_triage_cases import batches  # noqa: E402

MODEL_PATH = ROOT / "bot" / "triage" / MODEL_FILE
CHECK_PATH = ROOT / "tests" / "triage_cases" / "model_check.json"
SERIOUS = ("urgent", "crisis")
RANK = {level: i for i, level in enumerate(CLASSES)}

# Hyperparameters (chosen by leave-one-batch-out CV on batches original..heldout4).
L2 = 3e-5
ITERS = 400
LR = 0.05
MIN_DF = 2
TOP_K = 12000
SCALE = 1000
ROUTINE_BUDGET = 0.015  # model-alone routine false alarms allowed when picking thresholds

# Commits that added each fresh batch, before the rules were fixed against it.
BEFORE_FIX = {
    "heldout1": "64aa2b9",
    "heldout2": "bf9d409",
    "heldout3": "990ff29",
    "heldout4": "b312730",
}


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class Case:
    batch: str
    text: str
    label: str
    model_text: str


def load_data() -> list[Case]:
    """Every usable labelled case, in a fixed order."""
    rules = load_rules()
    out = []
    for batch, cases in batches().items():
        for case in cases:
            level = case.get("level")
            if level not in CLASSES or "craving" in case or case.get("expect"):
                continue
            if case.get("recent_cravings"):
                continue
            model_text = prepare(case["text"], rules).model_text
            out.append(Case(batch, case["text"], level, model_text))
    return out


class Matrix:
    """A sparse row matrix (rows, indices, data) over a vocabulary, numpy only."""

    def __init__(self, feats: list[set[str]], vocab: dict[str, int]):
        rows, cols, vals = [], [], []
        for r, fs in enumerate(feats):
            scale = 1.0 / np.sqrt(len(fs)) if fs else 0.0
            for f in fs:
                j = vocab.get(f)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
                    vals.append(scale)
        self.n = len(feats)
        self.v = len(vocab)
        self.rows = np.array(rows, dtype=np.int64)
        self.cols = np.array(cols, dtype=np.int64)
        self.vals = np.array(vals, dtype=np.float64)

    def dot(self, w: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n, w.shape[1]))
        for k in range(w.shape[1]):
            out[:, k] = np.bincount(
                self.rows, weights=w[self.cols, k] * self.vals, minlength=self.n
            )
        return out

    def tdot(self, g: np.ndarray) -> np.ndarray:
        out = np.zeros((self.v, g.shape[1]))
        for k in range(g.shape[1]):
            out[:, k] = np.bincount(
                self.cols, weights=g[self.rows, k] * self.vals, minlength=self.v
            )
        return out


def build_vocab(feats: list[set[str]], min_df: int) -> dict[str, int]:
    df = Counter(f for fs in feats for f in fs)
    return {f: i for i, f in enumerate(sorted(f for f, c in df.items() if c >= min_df))}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(x: Matrix, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Multinomial logistic regression, class-balanced, L2, full-batch Adam."""
    l2, iters = L2, ITERS
    k = len(CLASSES)
    onehot = np.eye(k)[y]
    counts = np.bincount(y, minlength=k).astype(float)
    sample_w = (len(y) / (k * np.maximum(counts, 1)))[y]
    sample_w /= sample_w.sum()
    w = np.zeros((x.v, k))
    b = np.log(np.maximum(counts, 1) / counts.sum())
    mw, vw = np.zeros_like(w), np.zeros_like(w)
    mb, vb = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, iters + 1):
        p = softmax(x.dot(w) + b)
        g = (p - onehot) * sample_w[:, None]
        gw = x.tdot(g) + l2 * w
        gb = g.sum(axis=0)
        mw = beta1 * mw + (1 - beta1) * gw
        vw = beta2 * vw + (1 - beta2) * gw * gw
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= LR * (mw / c1) / (np.sqrt(vw / c2) + eps)
        b -= LR * (mb / c1) / (np.sqrt(vb / c2) + eps)
    return w, b


def train(cases: list[Case]) -> dict[str, Any]:
    """Fit, prune to the TOP_K strongest features, refit on those, quantise; return the dict."""
    top_k = TOP_K
    feats = [features(c.model_text) for c in cases]
    y = np.array([RANK[c.label] for c in cases])
    vocab = build_vocab(feats, MIN_DF)
    w, _ = fit(Matrix(feats, vocab), y)
    strength = np.abs(w).max(axis=1)
    keep = np.argsort(-strength, kind="stable")[:top_k]
    names = sorted(vocab, key=vocab.__getitem__)
    kept = {f: i for i, f in enumerate(sorted(names[j] for j in keep))}
    w, b = fit(Matrix(feats, kept), y)
    qw = np.rint(w * SCALE).astype(int)
    qb = np.rint(b * SCALE).astype(int)
    weights = {f: qw[i].tolist() for f, i in kept.items() if qw[i].any()}
    info = {
        "trained_on": sorted({c.batch for c in cases}),
        "texts": len(cases),
        "features": len(weights),
        "l2": L2,
        "min_df": MIN_DF,
        "top_k": top_k,
        "trainer": "tools/train_triage.py",
    }
    return model_to_dict(qb.tolist(), weights, SCALE, info)


def predict(model_dict: dict[str, Any], texts: list[str]) -> np.ndarray:
    """Probabilities (numpy, from the quantised weights) for prepared texts."""
    unit = 1.0 / model_dict["scale"]
    weights = model_dict["weights"]
    bias = np.array(model_dict["bias"], dtype=float) * unit
    out = np.zeros((len(texts), len(CLASSES)))
    for r, text in enumerate(texts):
        fs = features(text)
        z = bias.copy()
        if fs:
            hit = [weights[f] for f in fs if f in weights]
            if hit:
                z += np.array(hit, dtype=float).sum(axis=0) * unit / np.sqrt(len(fs))
        out[r] = z
    return softmax(out)


# --------------------------------------------------------------------------- decisions


def model_levels(p: np.ndarray, t_crisis: float, t_urgent: float) -> list[str]:
    out = []
    for row in p:
        if row[3] >= t_crisis:
            out.append("crisis")
        elif row[2] + row[3] >= t_urgent:
            out.append("urgent")
        else:
            out.append("none")
    return out


def combine(rule: str, model: str) -> str:
    return rule if RANK[rule] >= RANK[model] else model


def metrics(labels: list[str], levels: list[str]) -> dict[str, tuple[int, int]]:
    """(hits, total) per target: crisis recall, urgent recall, routine FA, concern caught."""
    out = {"crisis": [0, 0], "urgent": [0, 0], "routine_fa": [0, 0], "concern": [0, 0]}
    for label, level in zip(labels, levels, strict=True):
        if label == "crisis":
            out["crisis"][0] += level == "crisis"
            out["crisis"][1] += 1
        elif label == "urgent":
            out["urgent"][0] += level in SERIOUS
            out["urgent"][1] += 1
        elif label == "none":
            out["routine_fa"][0] += level in SERIOUS
            out["routine_fa"][1] += 1
        elif label == "concern":
            out["concern"][0] += level != "none"
            out["concern"][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def fmt(m: dict[str, tuple[int, int]]) -> str:
    def pct(k: str) -> str:
        h, n = m[k]
        return f"{100 * h / n:.1f}% ({h}/{n})" if n else "n/a"

    return (
        f"crisis {pct('crisis')}, use/urgent {pct('urgent')}, "
        f"routine false alarms {pct('routine_fa')}, concern {pct('concern')}"
    )


def pick_thresholds(labels: list[str], p: np.ndarray, budget: float) -> tuple[float, float]:
    """Lowest-risk thresholds: most crisis recall (then urgent) with routine FA <= budget."""
    lab = np.array(labels)
    routine = lab == "none"
    crisis = lab == "crisis"
    urgent = lab == "urgent"
    pc, pu = p[:, 3], p[:, 2] + p[:, 3]
    best = None
    grid = np.round(np.arange(0.05, 0.995, 0.01), 2)
    for tc in grid:
        c_fire = pc >= tc
        for tu in grid:
            fire = c_fire | (pu >= tu)
            fa = fire[routine].mean()
            if fa > budget:
                continue
            key = (c_fire[crisis].mean(), fire[urgent].mean(), -fa, tc, tu)
            if best is None or key > best:
                best = key
    assert best is not None
    return float(best[3]), float(best[4])


# --------------------------------------------------------------------------- reports


def rule_levels(cases: list[Case]) -> list[str]:
    rules = dataclasses.replace(load_rules(), model=ModelSettings())
    return [triage(c.text, rules=rules).level for c in cases]


def old_rule_levels(commit: str, texts: list[str]) -> list[str]:
    """Levels from the rules as they were at commit (a git archive in a temp dir)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "bot", "config"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        script = (
            "import json,sys\n"
            "from bot.triage import triage, load_rules\n"
            "r=load_rules()\n"
            "for t in json.load(sys.stdin): print(triage(t, rules=r).level)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,
            env={"PYTHONPATH": tmp, "PATH": "/usr/bin:/bin"},
        ).stdout
    return out.split()


def cross_validate(data: list[Case]) -> tuple[float, float]:
    """Leave one batch out: out-of-fold probabilities, thresholds, per-batch scores."""
    names = list(dict.fromkeys(c.batch for c in data))
    p = np.zeros((len(data), len(CLASSES)))
    for name in names:
        train_cases = [c for c in data if c.batch != name]
        test_idx = [i for i, c in enumerate(data) if c.batch == name]
        model = train(train_cases)
        p[test_idx] = predict(model, [data[i].model_text for i in test_idx])
        print(f"  fold {name}: trained on {len(train_cases)} texts", flush=True)
    labels = [c.label for c in data]
    tc, tu = pick_thresholds(labels, p, ROUTINE_BUDGET)
    print(
        f"thresholds (pooled out-of-fold, routine budget {ROUTINE_BUDGET:.1%}): "
        f"crisis {tc:.2f}, urgent {tu:.2f}"
    )
    model_lv = model_levels(p, tc, tu)
    rules_lv = rule_levels(data)
    both = [combine(r, m) for r, m in zip(rules_lv, model_lv, strict=True)]
    print("leave-one-batch-out (model alone is honest; rules were fitted on every batch):")
    for name in [*names, "ALL"]:
        idx = [i for i, c in enumerate(data) if name in ("ALL", c.batch)]
        lab = [labels[i] for i in idx]
        print(f"  {name}")
        print(f"    model alone : {fmt(metrics(lab, [model_lv[i] for i in idx]))}")
        print(f"    rules+model : {fmt(metrics(lab, [both[i] for i in idx]))}")
    return tc, tu


def history(data: list[Case], tc: float, tu: float) -> None:
    """Replay each fresh batch as it arrived: old rules vs old rules + model of earlier data."""
    names = list(dict.fromkeys(c.batch for c in data))
    print(
        "fresh-batch replay (rules as committed before the batch was fixed; "
        "model trained only on earlier batches):"
    )
    for name, commit in BEFORE_FIX.items():
        earlier = names[: names.index(name)]
        train_cases = [c for c in data if c.batch in earlier]
        test = [c for c in data if c.batch == name]
        model = train(train_cases)
        m_lv = model_levels(predict(model, [c.model_text for c in test]), tc, tu)
        r_lv = old_rule_levels(commit, [c.text for c in test])
        lab = [c.label for c in test]
        print(f"  {name} (rules @ {commit}, model on {'+'.join(earlier)})")
        print(f"    rules alone : {fmt(metrics(lab, r_lv))}")
        print(f"    model alone : {fmt(metrics(lab, m_lv))}")
        both = [combine(r, m) for r, m in zip(r_lv, m_lv, strict=True)]
        print(f"    rules+model : {fmt(metrics(lab, both))}")


def score_batch(data: list[Case], name: str, tc: float, tu: float, show: bool) -> None:
    """Score one batch with a model trained on every other batch, against the current rules."""
    train_cases = [c for c in data if c.batch != name]
    test = [c for c in data if c.batch == name]
    model = train(train_cases)
    m_lv = model_levels(predict(model, [c.model_text for c in test]), tc, tu)
    r_lv = rule_levels(test)
    both = [combine(r, m) for r, m in zip(r_lv, m_lv, strict=True)]
    lab = [c.label for c in test]
    print(
        f"{name} (model trained on {len(train_cases)} texts of the other batches; "
        f"thresholds crisis {tc:.2f}, urgent {tu:.2f})"
    )
    print(f"  rules alone : {fmt(metrics(lab, r_lv))}")
    print(f"  model alone : {fmt(metrics(lab, m_lv))}")
    print(f"  rules+model : {fmt(metrics(lab, both))}")
    if show:
        for c, r, m, b in zip(test, r_lv, m_lv, both, strict=True):
            ok = {
                "crisis": b == "crisis",
                "urgent": b in SERIOUS,
                "none": b not in SERIOUS,
                "concern": b != "none",
            }[c.label]
            if not ok or r != b:
                print(
                    f"    [{c.label}] rules={r} model={m} -> {b}{'' if ok else '  MISS'}: "
                    f"{c.text!r}"
                )


def write(model_dict: dict[str, Any], data: list[Case]) -> None:
    raw = json.dumps(model_dict, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    MODEL_PATH.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    # A sample of prepared texts with the trainer's (numpy) probabilities, for the test that
    # the pure-Python inference reads the packaged weights the same way.
    rng = np.random.default_rng(0)
    sample = [data[i] for i in sorted(rng.choice(len(data), size=200, replace=False))]
    probs = predict(model_dict, [c.model_text for c in sample])
    check = [
        {"model_text": c.model_text, "probabilities": [round(float(v), 9) for v in row]}
        for c, row in zip(sample, probs, strict=True)
    ]
    CHECK_PATH.write_text(json.dumps(check, indent=0, ensure_ascii=False) + "\n", "utf-8")
    model_from_dict(model_dict)  # loads
    size = MODEL_PATH.stat().st_size
    print(
        f"wrote {MODEL_PATH.relative_to(ROOT)}: {len(model_dict['weights'])} features, "
        f"{size / 1024:.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cv", action="store_true", help="leave-one-batch-out CV first")
    parser.add_argument("--history", action="store_true", help="replay fresh batches")
    parser.add_argument("--score", metavar="BATCH", help="score BATCH with a model without it")
    parser.add_argument("--misses", action="store_true", help="with --score: list the misses")
    parser.add_argument("--no-write", action="store_true", help="do not write the model")
    args = parser.parse_args()
    data = load_data()
    print(f"{len(data)} labelled texts: {dict(Counter(c.label for c in data))}")
    settings = load_rules().model
    tc, tu = settings.crisis_threshold, settings.urgent_threshold
    if args.cv:
        tc, tu = cross_validate(data)
    if args.history:
        history(data, tc, tu)
    if args.score:
        score_batch(data, args.score, tc, tu, args.misses)
    if not args.no_write:
        write(train(data), data)


if __name__ == "__main__":
    main()
