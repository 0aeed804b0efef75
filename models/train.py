"""Trains the shipped anomaly models from the CSVs written by models/make-dataset.ts.

For each family (service windows, host metric windows) the model is a tail-calibrated robust
deviation detector: every feature is centred on its median over the normal, warm training windows
and scaled so that the 99.9th percentile of its absolute deviation maps to 3; the score is the largest
absolute scaled deviation over the features. The normalisation (center, scale) lives in the manifest
and is applied by the scorer before `session.run`; the ONNX graph is Abs -> ReduceMax. The threshold is
the 99.9th percentile of the scores of normal training windows: no incident is looked at to set it.

An IsolationForest (scikit-learn) on the same normalised features is trained alongside as the
baseline the choice is measured against; its validation figures go into the manifest's report.

    models/.venv/bin/python models/train.py [--data models/data] [--out models]
"""

import argparse
import csv
import hashlib
import json
import os
import random
import sys

import numpy as np
import onnx
import sklearn
from onnx import TensorProto, helper
from sklearn.ensemble import IsolationForest

SEED = 20261124
random.seed(SEED)
np.random.seed(SEED)

INPUT_NAME = "features"
OUTPUT_NAME = "score"
OPSET = 13
# Share of normal training windows whose deviation sets a feature's scale, and the z it maps to.
TAIL_QUANTILE = 0.999
TAIL_Z = 3.0
THRESHOLD_QUANTILE = 0.999

# Features the worker computes but the shipped models leave out: absolute levels (error ratio, CPU,
# memory) tie a model to the services it was trained on; a service that always runs at 5 % errors or a
# host at 80 % memory would alarm forever. Only baseline-relative features are read (models-eval's
# run on unfamiliar services measures the difference).
ABSOLUTE_FEATURES = {"error_ratio", "cpu_mean", "cpu_max", "memory_mean", "cpu_delta", "memory_z"}
# Computed but left out because they swing with volume in quiet services (one error in a window of
# twelve lines; which rare templates happened to appear), where the Poisson z-scores of the error and
# warning counts say the same robustly.
NOISY_FEATURES = {"error_ratio_delta", "warn_ratio_delta", "distinct_patterns_delta"}

FAMILIES = {
    "service": {
        "name": "service-window-maxz",
        "description": "Largest tail-calibrated robust deviation of a closed service window's features from the service's recent baseline.",
        "window_size_s": [60],
    },
    "host": {
        "name": "host-metrics-maxz",
        "description": "Largest tail-calibrated robust deviation of one host's closed metric windows (CPU, memory, load, disk, network).",
        "window_size_s": [60],
    },
}


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    feats = header[7:]
    meta = [dict(zip(header[:7], r[:7])) for r in rows[1:]]
    x = np.array([[float(v) for v in r[7:]] for r in rows[1:]], dtype=np.float64)
    return feats, meta, x


def tail_normalisation(x):
    center = np.median(x, axis=0)
    dev = np.quantile(np.abs(x - center), TAIL_QUANTILE, axis=0)
    q75, q25 = np.percentile(x, [75, 25], axis=0)
    # A feature that is almost always one value (new patterns) has no tail: fall back to its IQR, then 1.
    scale = np.where(dev > 1e-9, dev, np.where(q75 - q25 > 1e-9, q75 - q25, 1.0)) / TAIL_Z
    return center, scale


def normalise(x, center, scale):
    return ((x - center) / scale).astype(np.float32)


def max_abs(xn):
    return np.abs(xn).max(axis=1)


def to_onnx(name, n_features):
    x = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, n_features])
    y = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, 1])
    graph = helper.make_graph(
        [
            helper.make_node("Abs", [INPUT_NAME], ["abs_z"], name="abs"),
            helper.make_node("ReduceMax", ["abs_z"], [OUTPUT_NAME], name="max_over_features", axes=[1], keepdims=1),
        ],
        name,
        [x],
        [y],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tributary-train")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def window_metrics(y, pred, kinds):
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    out = {
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }
    per_kind = {}
    for k in sorted(set(kinds[y == 1])):
        m = (kinds == k) & (y == 1)
        per_kind[k] = round(float(pred[m].mean()), 3)
    out["recall_by_kind"] = per_kind
    return out


def train_family(family, data_dir, out_dir):
    spec = FAMILIES[family]
    all_feats, meta, all_x = load(os.path.join(data_dir, f"{family}.csv"))
    keep = [i for i, f in enumerate(all_feats) if f not in ABSOLUTE_FEATURES and f not in NOISY_FEATURES]
    feats = [all_feats[i] for i in keep]
    x = all_x[:, keep]
    sets = np.array([m["set"] for m in meta])
    labels = np.array([int(m["label"]) for m in meta])
    warm = np.array([m["warm"] == "1" for m in meta])
    kinds = np.array([m["kind"] for m in meta])
    seeds = sorted({int(m["seed"]) for m in meta if m["set"] == "train"})

    normal_train = (sets == "train") & warm & (labels == 0)
    center, scale = tail_normalisation(x[normal_train])
    xn = normalise(x, center, scale)
    score = max_abs(xn)
    threshold = float(np.quantile(score[normal_train], THRESHOLD_QUANTILE))

    # The baseline the choice is measured against: an IsolationForest on the same inputs.
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=SEED).fit(xn[normal_train])
    forest_score = -forest.decision_function(xn)
    forest_threshold = float(np.quantile(forest_score[normal_train], THRESHOLD_QUANTILE))

    val = (sets == "val") & warm & (labels >= 0)
    train = (sets == "train") & warm & (labels >= 0)
    report = {
        "train_normal_windows": int(normal_train.sum()),
        "threshold_quantile": THRESHOLD_QUANTILE,
        "val": window_metrics(labels[val], (score[val] >= threshold).astype(int), kinds[val]),
        "train": window_metrics(labels[train], (score[train] >= threshold).astype(int), kinds[train]),
        "isolation_forest_val": window_metrics(labels[val], (forest_score[val] >= forest_threshold).astype(int), kinds[val]),
    }

    onx = to_onnx(spec["name"], len(feats))
    blob = onx.SerializeToString()
    sha256 = hashlib.sha256(blob).hexdigest()
    # The version names what scores: the graph, the normalisation and the threshold together.
    fingerprint = json.dumps([sha256, [float(v) for v in center], [float(v) for v in scale], threshold])
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
    model_dir = os.path.join(out_dir, spec["name"])
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.onnx"), "wb") as f:
        f.write(blob)

    manifest = {
        "name": spec["name"],
        "version": f"1.0.0-{digest}",
        "kind": family,
        "description": spec["description"],
        "window_size_s": spec["window_size_s"],
        "model_file": "model.onnx",
        "sha256": sha256,
        "features": feats,
        "normalization": {
            "method": "robust-tail",
            "formula": "(x - center) / scale, in float64, then cast to float32 (applied by the scorer before session.run)",
            "note": f"center = median over normal training windows; scale = {TAIL_QUANTILE} quantile of |x - center| / {TAIL_Z}",
            "center": [float(v) for v in center],
            "scale": [float(v) for v in scale],
        },
        "input": {"name": INPUT_NAME, "type": "float32", "shape": [None, len(feats)]},
        "output": {"name": OUTPUT_NAME, "type": "float32", "shape": [None, 1], "higher_is_anomalous": True},
        "threshold": threshold,
        "training": {
            "algorithm": "max |tail-calibrated robust z| over features",
            "seed": SEED,
            "data_seeds": seeds,
            "numpy": np.__version__,
            "sklearn": sklearn.__version__,
            "onnx": onnx.__version__,
            "opset": OPSET,
            "report": report,
        },
    }
    with open(os.path.join(model_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    # Test vectors: validation windows whose raw input (window row and the baseline it was compared
    # with) make-dataset.ts kept, incidents and normal ones, with the features and the expected score.
    raw = {}
    with open(os.path.join(data_dir, "raw.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["family"] == family:
                raw[(r["key"], int(r["window_start_ms"]))] = r
    rng = np.random.RandomState(SEED)
    has_raw = np.array([(m["key"], int(m["window_start_ms"])) in raw and m["set"] == "val" for m in meta])
    pos = np.where(has_raw & val & (labels == 1))[0]
    neg = np.where(has_raw & val & (labels == 0))[0]
    pick = np.concatenate([rng.choice(pos, min(12, len(pos)), replace=False), rng.choice(neg, min(24, len(neg)), replace=False)])
    pick.sort()
    vectors = {
        "model": spec["name"],
        "version": manifest["version"],
        # Rows hold the worker's whole feature vector (in this order); the model reads the manifest's subset.
        "features": all_feats,
        "tolerance": 1e-5,
        "rows": [],
    }
    for i in pick:
        r = raw[(meta[i]["key"], int(meta[i]["window_start_ms"]))]
        entry = {"key": meta[i]["key"], "window_start_ms": int(meta[i]["window_start_ms"]), "kind": meta[i]["kind"]}
        entry["window"] = r.get("row") or r.get("window")
        entry["baseline"] = r["baseline"]
        entry["features"] = [float(v) for v in all_x[i]]
        entry["score"] = float(score[i])
        vectors["rows"].append(entry)
    with open(os.path.join(model_dir, "test-vectors.json"), "w") as f:
        json.dump(vectors, f)
        f.write("\n")

    try:
        import onnxruntime as ort

        sess = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
        got = sess.run([OUTPUT_NAME], {INPUT_NAME: normalise(x[pick], center, scale)})[0].reshape(-1)
        err = float(np.max(np.abs(got - score[pick])))
        print(f"{spec['name']}: onnxruntime vs numpy max abs diff {err:.2e}", file=sys.stderr)
    except ImportError:
        pass
    print(f"{spec['name']} {manifest['version']}: {len(blob)} bytes, threshold {threshold:.4f}", file=sys.stderr)
    print(json.dumps(report, indent=1), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="models/data")
    ap.add_argument("--out", default="models")
    ap.add_argument("--family", choices=sorted(FAMILIES), action="append")
    args = ap.parse_args()
    for family in args.family or sorted(FAMILIES):
        train_family(family, args.data, args.out)


if __name__ == "__main__":
    main()
