"""BG/NBD + Gamma-Gamma with lifetimes on the full CDNOW cohort (23,570 customers), for bench/run-clv.sh.
Writes the cohort as CSV for the Swift side, then times lifetimes' fits and prints JSON.
Summary convention as Loom's: same-day transactions summed, weeks = days / 7 (freq='D',
freq_multiplier=7), calibration end 1997-09-30, monetary value = mean of repeat transactions."""
import json, os, statistics, sys, time
import pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

out_csv, repeats = sys.argv[1], int(sys.argv[2])
src = os.path.join(os.path.dirname(lifetimes.__file__), "datasets", "CDNOW_master.txt")
df = pd.read_csv(src, sep=r"\s+", dtype={"customer_id": str, "date": str})
df.to_csv(out_csv, index=False)
df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
cal = df[df["date"] <= "1997-09-30"]

def summarise():
    return summary_data_from_transaction_data(cal, "customer_id", "date", monetary_value_col="dollar_value",
                                              observation_period_end="1997-09-30", freq="D", freq_multiplier=7)

fit_times, total_times = [], []
for _ in range(repeats):
    t0 = time.perf_counter()
    s = summarise()
    t1 = time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    t2 = time.perf_counter()
    fit_times.append(t2 - t1)
    total_times.append(t2 - t0)
p = bg.params_
g = gg.params_
print(json.dumps({"customers": len(s), "fit_median_s": statistics.median(fit_times), "total_median_s": statistics.median(total_times),
                  "r": p["r"], "alpha": p["alpha"], "a": p["a"], "b": p["b"], "p": g["p"], "q": g["q"], "v": g["v"]}))
