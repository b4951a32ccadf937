"""The shared benchmark data set (bench/data/classification.csv, written by make_classification.py),
loaded as one float array: 20 feature columns, then the 0/1 label."""
import os

import numpy as np


def load(path):
    """The CSV's rows; parsed once and kept beside it as .npy, so that one-fit runs (interleaved
    with Swift's) start fast."""
    cache = path + ".npy"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        return np.load(cache)
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    np.save(cache, data)
    return data
