# Reference values for Tests/LoomAnalyticsTests/Linear/LinearRegressionTests.swift (numpy 2.4.6, scikit-learn 1.9.1).
import numpy as np, sklearn
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
n = 20
X = np.array([[i, (i * i) % 7, (3 * i) % 5] for i in range(n)], dtype=float)
y = np.array([2.0 + 0.5 * i - 1.25 * ((i * i) % 7) + 0.75 * ((3 * i) % 5) + ((i * 37) % 11 - 5) / 10 for i in range(n)])
A = np.hstack([np.ones((n, 1)), X])
beta, *_ = np.linalg.lstsq(A, y, rcond=None)
print("numpy", np.__version__, "sklearn", sklearn.__version__)
print("lstsq", repr(beta.tolist()))
Z = StandardScaler().fit_transform(X)
r = Ridge(alpha=n * 0.05).fit(Z, y)   # l2 = 0.05 -> alpha = n l2 = 1.0
print("ridge standardised coef", repr(r.coef_.tolist()), "intercept", repr(float(r.intercept_)))
print("ridge original-units coef", repr((r.coef_ / X.std(axis=0)).tolist()))
