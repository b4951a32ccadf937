# Reference values for Tests/LoomAnalyticsTests/Trees/RandomForestTests.swift (scikit-learn 1.9.1, numpy 2.4.6;
# run: python3 -m venv /tmp/v && /tmp/v/bin/pip install scikit-learn && /tmp/v/bin/python Tests/Fixtures/reference/random_forest.py).
# The data are drawn with an exact Python copy of Loom's SeededRandom (xoshiro256** seeded by SplitMix64),
# so the Swift test rebuilds the same doubles bit for bit.
import numpy as np, sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
M = (1 << 64) - 1
class SeededRandom:
    def __init__(self, seed):
        sm = seed
        def split():
            nonlocal sm
            sm = (sm + 0x9E3779B97F4A7C15) & M
            z = sm
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            return z ^ (z >> 31)
        self.s = [split(), split(), split(), split()]
    def next(self):
        s0, s1, s2, s3 = self.s
        r = (((s1 * 5) & M) << 7 | ((s1 * 5) & M) >> 57) & M
        r = (r * 9) & M
        t = (s1 << 17) & M
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M
        self.s = [s0, s1, s2, s3]
        return r
    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

def data(n, seed):
    rng = SeededRandom(seed)
    X = np.array([[rng.uniform() for _ in range(8)] for _ in range(n)])
    y = np.zeros(n)
    for i in range(n):
        x = X[i]
        # An interaction, a threshold and an additive part; 15% of labels flipped.
        rule = (x[0] > 0.5 and x[1] > 0.4) or (x[2] + x[3] > 1.4)
        flip = rng.uniform() < 0.15
        y[i] = 1.0 if rule != flip else 0.0
    return X, y

X, y = data(2000, 21)
Xt, yt = data(2000, 22)
print("sklearn", sklearn.__version__, "numpy", np.__version__)
print("first rows", X[0, :3], y[:5], "positives", y.sum(), yt.sum())
for leaf in [1, 5]:
    aucs = []
    for s in range(5):
        m = RandomForestClassifier(n_estimators=100, max_features="sqrt", min_samples_leaf=leaf, random_state=s).fit(X, y)
        aucs.append(roc_auc_score(yt, m.predict_proba(Xt)[:, 1]))
    print("min_samples_leaf", leaf, "AUC per seed", np.round(aucs, 4), "mean", round(np.mean(aucs), 4), "sd", round(np.std(aucs), 4))
# The oracle: the rule itself scored 0/1 (the best any model can do up to the flipped labels).
rule = np.array([(x[0] > 0.5 and x[1] > 0.4) or (x[2] + x[3] > 1.4) for x in Xt]).astype(float)
print("oracle AUC", round(roc_auc_score(yt, rule), 4))
from sklearn.tree import DecisionTreeClassifier
print("single tree AUC", round(roc_auc_score(yt, DecisionTreeClassifier(random_state=0).fit(X, y).predict_proba(Xt)[:, 1]), 4))

# Regression (RandomForestTests.regressionMatchesScikitLearn): y = 3 x0 + 2 x1 x2 + (u - 0.5) / 5, 8 uniform features.
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error
def regression_data(n, seed):
    rng = SeededRandom(seed)
    X = np.array([[rng.uniform() for _ in range(8)] for _ in range(n)])
    y = np.array([3 * x[0] + 2 * x[1] * x[2] + (rng.uniform() - 0.5) / 5 for x in X])
    return X, y
X, y = regression_data(2000, 31)
Xt, yt = regression_data(1000, 32)
rmses = []
for s in range(5):
    m = RandomForestRegressor(n_estimators=100, max_features=1.0, min_samples_leaf=5, random_state=s).fit(X, y)
    rmses.append(mean_squared_error(yt, m.predict(Xt)) ** 0.5)
print("regression RMSE per seed", np.round(rmses, 4), "mean", round(np.mean(rmses), 4), "sd", round(np.std(rmses), 4), "first y", y[:2])
