"""The Python side of bench/run-train.sh: the whole of one Loom built-in task written as a script, on
bench/data/classification.csv (f0..f19, label; 200,000 rows). Prints one tab-separated line:

    name  total  read  fit  predict  write  quality  detail

seconds measured inside the process after the imports (the imports, 0.5-1.5 s for scikit-learn and
LightGBM, are the same for every task and are not part of the work); quality is the test AUC
(gbdt, logistic) or the inertia (kmeans).

usage: python bench/python/train_task.py MODEL CSV OUTDIR [TOL]
  gbdt:      pandas read_csv, the first 160,000 rows train, lgb.train (100 rounds, 31 leaves, lr 0.1,
             255 bins, min 20 rows per leaf, no L2, 2 threads), predict the 40,000 test rows,
             to_csv the predictions (label, score), save the model, to_csv the importances
             (Loom's train gbdt: split ordered, train_rows 160000, the same settings).
  logistic:  the same rows, StandardScaler (population sd, as Loom) then LogisticRegression(C=1,
             lbfgs, tol TOL (default 1e-4, scikit-learn's), max_iter 1000), predict_proba, the same
             writes; model written as JSON (Loom's train logistic, C: 1).
  kmeans:    StandardScaler on the 20 features of all rows, KMeans(8, n_init=1, lloyd, tol 1e-4,
             max_iter 300, random_state 0), labels, silhouette on a 2,000-row sample, to_csv the
             segments (200,000 rows) and the centres in original units (Loom's kmeans, k 8, n_init 1).
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd

model, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
tol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-4
TRAIN = 160_000
os.makedirs(out, exist_ok=True)

if model == "gbdt":
    import lightgbm as lgb
elif model == "logistic":
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
elif model == "kmeans":
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score

t0 = time.perf_counter()
df = pd.read_csv(path)
features = [f"f{i}" for i in range(20)]
X = df[features].to_numpy()
y = df["label"].to_numpy()
t1 = time.perf_counter()

if model in ("gbdt", "logistic"):
    Xtr, ytr, Xte, yte = X[:TRAIN], y[:TRAIN], X[TRAIN:], y[TRAIN:]
    if model == "gbdt":
        params = dict(objective="binary", num_leaves=31, learning_rate=0.1, max_bin=255, min_data_in_leaf=20,
                      lambda_l2=0.0, num_threads=2, verbose=-1)
        booster = lgb.train(params, lgb.Dataset(Xtr, ytr), num_boost_round=100)
        t2 = time.perf_counter()
        score = booster.predict(Xte)
        t3 = time.perf_counter()
        booster.save_model(os.path.join(out, "model.txt"))
        importance = booster.feature_importance("gain")
        detail = f"{booster.num_trees()} trees"
    else:
        scaler = StandardScaler().fit(Xtr)
        lr = LogisticRegression(C=1.0, tol=tol, max_iter=1000).fit(scaler.transform(Xtr), ytr)
        t2 = time.perf_counter()
        score = lr.predict_proba(scaler.transform(Xte))[:, 1]
        t3 = time.perf_counter()
        with open(os.path.join(out, "model.json"), "w") as f:
            json.dump({"intercept": float(lr.intercept_[0]), "coefficients": (lr.coef_[0] / scaler.scale_).tolist(),
                       "means": scaler.mean_.tolist(), "scales": scaler.scale_.tolist()}, f)
        importance = np.abs(lr.coef_[0])
        detail = f"{int(lr.n_iter_[0])} iterations"
    pd.DataFrame({"label": yte, "score": score}).to_csv(os.path.join(out, "predictions.csv"), index=False)
    pd.DataFrame({"feature": features, "importance": importance}).to_csv(os.path.join(out, "importance.csv"), index=False)
    t4 = time.perf_counter()
    quality = roc_auc_score(yte, score)
else:
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    km = KMeans(n_clusters=8, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd", random_state=0).fit(Z)
    t2 = time.perf_counter()
    labels = km.labels_
    silhouette = silhouette_score(Z, labels, sample_size=2000, random_state=0)
    t3 = time.perf_counter()
    pd.DataFrame({"segment": labels}).to_csv(os.path.join(out, "segments.csv"), index=False)
    centres = pd.DataFrame(scaler.inverse_transform(km.cluster_centers_), columns=features)
    centres.insert(0, "size", np.bincount(labels, minlength=8))
    centres.insert(0, "segment", range(8))
    centres.to_csv(os.path.join(out, "centres.csv"), index=False)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump({"inertia": km.inertia_, "silhouette": silhouette, "iterations": int(km.n_iter_)}, f)
    t4 = time.perf_counter()
    quality = km.inertia_
    detail = f"{km.n_iter_} iterations"

name = {"gbdt": "lightgbm", "logistic": "sklearn", "kmeans": "sklearn"}[model]
print(f"{name}\t{t4 - t0:.4f}\t{t1 - t0:.4f}\t{t2 - t1:.4f}\t{t3 - t2:.4f}\t{t4 - t3:.4f}\t{quality!r}\t{detail}", flush=True)
