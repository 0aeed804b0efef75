"""Trains the example's fraud model on a backfilled training set and exports it to ONNX.

Input: the view's rows as CSV (`tributary backfill --view card_activity --out train.csv`); the label is
`fraud_events > 0`. A logistic regression (scikit-learn, fixed seed) on standardised features; the
ONNX graph is built by hand (MatMul, Add, Sigmoid) so no converter is needed, and the standardisation
goes into the manifest's `normalization`, which the worker applies (and uses to name the features that
stood out). The threshold is the one with the best F1 on a held-out fifth of the training set.
Pinned requirements: models/requirements.txt."""
import argparse
import csv
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

FEATURES = ["txn_count", "amount_sum", "amount_max", "merchants", "online_ratio", "decline_ratio", "amount_z", "merchants_per_txn"]
SEED = 7


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) if r[c] != "" else np.nan for c in FEATURES] for r in rows], dtype=np.float64)
    y = np.array([1 if float(r["fraud_events"] or 0) > 0 else 0 for r in rows], dtype=np.int64)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    x, y = load(args.data)
    missing = {c: 0.0 for c in FEATURES}
    x = np.where(np.isnan(x), 0.0, x)
    center = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    xn = (x - center) / scale
    x_tr, x_va, y_tr, y_va = train_test_split(xn, y, test_size=0.2, random_state=SEED, stratify=y)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000, random_state=SEED)
    clf.fit(x_tr, y_tr)
    p = clf.predict_proba(x_va)[:, 1]
    best = (0.5, -1.0)
    for t in np.linspace(0.05, 0.95, 91):
        pred = p >= t
        tp = int((pred & (y_va == 1)).sum())
        prec = tp / max(1, int(pred.sum()))
        rec = tp / max(1, int((y_va == 1).sum()))
        f1 = 0 if tp == 0 else 2 * prec * rec / (prec + rec)
        if f1 > best[1]:
            best = (float(t), f1)
    threshold = round(best[0], 2)

    w = numpy_helper.from_array(clf.coef_.T.astype(np.float32), "w")
    b = numpy_helper.from_array(clf.intercept_.astype(np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]), helper.make_node("Sigmoid", ["z"], ["p"])],
        "card_fraud",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, len(FEATURES)])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [None, 1])],
        initializer=[w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tributary-example")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(args.out, exist_ok=True)
    data = model.SerializeToString()
    with open(os.path.join(args.out, "model.onnx"), "wb") as f:
        f.write(data)
    manifest = {
        "name": "card-fraud",
        "version": "1",
        "description": f"Logistic regression on {len(y)} backfilled windows ({int(y.sum())} with fraud); validation F1 {best[1]:.3f} at threshold {threshold}.",
        "view": "card_activity",
        "view_version": 1,
        "model_file": "model.onnx",
        "sha256": hashlib.sha256(data).hexdigest(),
        "features": FEATURES,
        "missing": missing,
        "normalization": {"method": "standard", "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
        "input": {"name": "x"},
        "output": {"name": "p", "kind": "binary", "classes": ["legit", "fraud"]},
        "threshold": threshold,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(json.dumps({"windows": int(len(y)), "fraud_windows": int(y.sum()), "threshold": threshold, "validation_f1": round(best[1], 4)}))


if __name__ == "__main__":
    main()
