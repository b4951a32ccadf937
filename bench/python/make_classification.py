"""Writes the shared benchmark data set: scikit-learn make_classification(n_samples=200000,
n_features=20, n_informative=10, random_state=0) as CSV (f0..f19,label), first 160,000 rows train."""
import sys
import numpy as np
from sklearn.datasets import make_classification

out = sys.argv[1] if len(sys.argv) > 1 else "bench/data/classification.csv"
X, y = make_classification(n_samples=200000, n_features=20, n_informative=10, random_state=0)
header = ",".join([f"f{i}" for i in range(20)] + ["label"])
np.savetxt(out, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt=["%.17g"] * 20 + ["%d"])
