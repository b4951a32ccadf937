"""Reference timings for bench-gbdt: LightGBM and scikit-learn HistGradientBoostingClassifier with the
same settings as Loom's GradientBoosting defaults, on bench/data/classification.csv (first 160,000 rows
train, the rest test). Prints one line per library: name, median training seconds, all timings, test AUC.

usage: python bench/python/gbdt.py [csv] [repeats]
"""
import statistics
import sys
import time

import numpy as np

import dataset

path = sys.argv[1] if len(sys.argv) > 1 else "bench/data/classification.csv"
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
TRAIN = 160_000

data = dataset.load(path)
X, y = data[:, :-1], data[:, -1].astype(int)
Xtr, ytr, Xte, yte = X[:TRAIN], y[:TRAIN], X[TRAIN:], y[TRAIN:]


def auc(y_true, score):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y_true, score)


def bench(name, make):
    times, model = [], None
    for _ in range(repeats):
        model = make()
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        times.append(time.perf_counter() - t0)
    a = auc(yte, model.predict_proba(Xte)[:, 1])
    print(f"{name}\t{statistics.median(times):.4f}\t{','.join(f'{t:.3f}' for t in times)}\t{a:.5f}", flush=True)


def lightgbm_model():
    import lightgbm as lgb
    return lgb.LGBMClassifier(num_leaves=31, learning_rate=0.1, n_estimators=100, max_bin=255,
                              min_child_samples=20, reg_lambda=0.0, num_threads=2, verbose=-1)


def sklearn_model():
    from sklearn.ensemble import HistGradientBoostingClassifier
    return HistGradientBoostingClassifier(max_leaf_nodes=31, learning_rate=0.1, max_iter=100, max_bins=255,
                                          min_samples_leaf=20, l2_regularization=0.0, early_stopping=False,
                                          random_state=0)


if __name__ == "__main__":
    bench("lightgbm", lightgbm_model)
    bench("sklearn-hgb", sklearn_model)
