"""Writes the CSV benchmark's data set: 200,000 rows x 20 numeric columns (x0..x19), seeded.
Values are normal draws (mean 0, sd 10) printed with 6 decimals (`-3.141593`), about 38 MB: the
shape of issue 12's table, with numbers the way exports usually print them."""
import sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(12)
X = rng.normal(0.0, 10.0, size=(200_000, 20))
header = ",".join(f"x{i}" for i in range(20))
np.savetxt(out, X, delimiter=",", header=header, comments="", fmt="%.6f")
