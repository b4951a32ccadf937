"""Reference timings for bench-kmeans: scikit-learn KMeans on the 20 features of
bench/data/classification.csv (all 200,000 rows, label excluded), standardised with StandardScaler
(population std, outside the timing), with the settings of bench-kmeans: n_clusters=8, n_init=10,
max_iter=300, tol=1e-4, algorithm="lloyd", init="k-means++". Prints one line per fit:
"scikit-learn<TAB>seconds<TAB>inertia<TAB>iterations of the winning restart".

usage: python bench/python/kmeans.py [csv] [fits] [seed]
"""
import sys
import time


import dataset
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

path = sys.argv[1] if len(sys.argv) > 1 else "bench/data/classification.csv"
fits = int(sys.argv[2]) if len(sys.argv) > 2 else 1
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0

data = dataset.load(path)
X = StandardScaler().fit_transform(data[:, :20])

for _ in range(fits):
    model = KMeans(n_clusters=8, n_init=10, max_iter=300, tol=1e-4, algorithm="lloyd", random_state=seed)
    t0 = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - t0
    print(f"scikit-learn\t{seconds}\t{model.inertia_!r}\t{model.n_iter_}")
