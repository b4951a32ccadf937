#!/usr/bin/env python3
"""The shop DAG's two heaviest steps written in pandas and in DuckDB, as references for Loom's
`ingest_events` and `clean` (same definitions; output bytes differ only in number format).

Usage: reference.py ENGINE STEP IN.csv OUT.csv     ENGINE: pandas | duckdb; STEP: ingest | clean | customers | sessions

ingest: the generator's REES46 log -> user, session, event_type (trimmed, lower-case), time (epoch
        seconds), price, product, category, brand, in input order.
clean:  drops events without user or session, outside [2019-10-01, 2020-10-01), with a negative
        price, purchases without a positive price, then duplicates in (user, session, event_type,
        time, product, price), keeping the first; input order kept.
customers: customer_features on the cleaned events (calibration end 2020-06-30, holdout end
        2020-09-30): purchases with a positive price as transactions, one per customer and UTC day
        (spend summed); frequency, recency, T (weeks), monetary (mean repeat spend), days_since_last,
        tenure_days, calibration_spend, RFM quintile scores (1 + min(4, 5 x values strictly below / n)),
        holdout transactions and spend, churned; customers with a calibration purchase, by id.
sessions: session_features as dags/shop.yaml runs it: per session (by id), its events in (time,
        row) order before its first purchase: views, carts, removes, evening, log_mean_price, hour,
        duration, distinct products and categories, min/max/mean view price; the most frequent
        non-empty top-level category and brand (ties: byte order) one-hot over the 10 values most
        sessions have (ties: byte order) and other; label = has a purchase; user of its first event.
Prints the step's wall time in seconds; run it under /usr/bin/time -v for its peak memory.
"""
import sys, time

START, END = 1569888000, 1601510400   # 2019-10-01 and 2020-10-01, 00:00 UTC
DUPS = ["user", "session", "event_type", "time", "product", "price"]

def pandas_ingest(src, dst):
    import pandas as pd
    t = pd.read_csv(src, dtype={"user_id": str, "user_session": str, "product_id": str, "category_code": str, "brand": str, "event_type": str},
                    usecols=["event_time", "event_type", "product_id", "category_code", "brand", "price", "user_id", "user_session"],
                    keep_default_na=False, na_values={"price": [""]})
    out = pd.DataFrame({
        "user": t["user_id"], "session": t["user_session"], "event_type": t["event_type"].str.strip().str.lower(),
        "time": (pd.to_datetime(t["event_time"], format="%Y-%m-%d %H:%M:%S UTC") - pd.Timestamp("1970-01-01")) // pd.Timedelta("1s"),
        "price": t["price"], "product": t["product_id"], "category": t["category_code"], "brand": t["brand"]})
    out.to_csv(dst, index=False)

def pandas_clean(src, dst):
    import pandas as pd
    t = pd.read_csv(src, dtype={"user": str, "session": str, "event_type": str, "product": str, "category": str, "brand": str},
                    keep_default_na=False, na_values={"price": [""], "time": [""]})
    keep = (t["user"] != "") & (t["session"] != "") & (t["time"] >= START) & (t["time"] < END)
    keep &= ~(t["price"] < 0)
    keep &= ~((t["event_type"] == "purchase") & ~(t["price"] > 0))
    t = t[keep]
    t = t[~t.duplicated(subset=DUPS, keep="first")]
    t.to_csv(dst, index=False)

def duckdb_ingest(src, dst):
    import duckdb
    duckdb.sql(f"""COPY (SELECT user_id AS user, user_session AS session, lower(trim(event_type)) AS event_type,
                   epoch(strptime(event_time, '%Y-%m-%d %H:%M:%S UTC'))::BIGINT AS time, price, product_id AS product,
                   category_code AS category, brand
                   FROM read_csv('{src}', all_varchar = true, types = {{'price': 'DOUBLE'}}))
                   TO '{dst}' (HEADER, DELIMITER ',')""")

def duckdb_clean(src, dst):
    import duckdb
    # Filters first, then the first of each duplicate group among the rows they keep (as Loom:
    # a row dropped for another reason is not seen), input order by the row number.
    duckdb.sql(f"""COPY (SELECT * EXCLUDE (n) FROM (
                     SELECT *, row_number() OVER () AS n FROM read_csv('{src}', all_varchar = true,
                         types = {{'time': 'BIGINT', 'price': 'DOUBLE'}}))
                   WHERE coalesce(user, '') <> '' AND coalesce(session, '') <> '' AND time >= {START} AND time < {END}
                     AND NOT coalesce(price < 0, false) AND NOT (event_type = 'purchase' AND NOT coalesce(price > 0, false))
                   QUALIFY row_number() OVER (PARTITION BY {", ".join(DUPS)} ORDER BY n) = 1
                   ORDER BY n) TO '{dst}' (HEADER, DELIMITER ',')""")

CAL, HOLD = 18443, 18535   # 2020-06-30 and 2020-09-30 as UTC day numbers
FEATURES = ["views", "carts", "removes", "evening", "log_mean_price", "hour", "duration", "distinct_products",
            "distinct_categories", "min_price", "max_price", "mean_price"]

def pandas_customers(src, dst):
    import numpy as np, pandas as pd
    t = pd.read_csv(src, usecols=["user", "event_type", "time", "price"], dtype={"user": str, "event_type": str},
                    keep_default_na=False, na_values={"price": [""], "time": [""]})
    t = t[(t["event_type"] == "purchase") & (t["price"] > 0) & np.isfinite(t["price"])]
    d = pd.DataFrame({"customer": t["user"], "day": np.floor(t["time"] / 86400).astype("int64"), "spend": t["price"]})
    d = d.groupby(["customer", "day"], sort=True, as_index=False)["spend"].sum()
    first = d.groupby("customer")["day"].transform("min")
    d = d[first <= CAL]
    cal, hold = d[d["day"] <= CAL], d[(d["day"] > CAL) & (d["day"] <= HOLD)]
    g = cal.groupby("customer", sort=True)
    out = pd.DataFrame({"n": g["day"].count(), "first": g["day"].min(), "last": g["day"].max(), "spend": g["spend"].sum(),
                        "first_spend": g["spend"].first()})
    x = out["n"] - 1
    r = pd.DataFrame(index=out.index)
    r["frequency"] = x
    r["recency"] = (out["last"] - out["first"]) / 7
    r["T"] = (CAL - out["first"]) / 7
    r["monetary"] = np.where(x > 0, (out["spend"] - out["first_spend"]) / x.clip(lower=1), 0.0)
    r["days_since_last"] = CAL - out["last"]
    r["tenure_days"] = CAL - out["first"]
    r["calibration_spend"] = out["spend"]
    n = len(r)
    def score(v): return 1 + np.minimum(4, 5 * (v.rank(method="min").astype("int64") - 1) // n)
    r["r_score"], r["f_score"], r["m_score"] = score(-r["days_since_last"]), score(r["frequency"]), score(r["calibration_spend"] / (r["frequency"] + 1))
    h = hold.groupby("customer")
    r["holdout_transactions"] = h["day"].count().reindex(r.index, fill_value=0)
    r["holdout_spend"] = h["spend"].sum().reindex(r.index, fill_value=0.0)
    r["churned"] = (r["holdout_transactions"] == 0).astype("int64")
    r.index.name = "customer"
    r.to_csv(dst)

def pandas_sessions(src, dst):
    import numpy as np, pandas as pd
    t = pd.read_csv(src, dtype={c: str for c in ["user", "session", "event_type", "product", "category", "brand"]},
                    keep_default_na=False, na_values={"price": [""], "time": [""]})
    t["row"] = np.arange(len(t))
    t = t.sort_values(["session", "time", "row"], kind="stable")
    purchase = t["event_type"] == "purchase"
    label = purchase.groupby(t["session"], sort=True).any()
    users = t.groupby("session", sort=True)["user"].first()
    pre = t[purchase.groupby(t["session"]).cumsum() == 0]
    g = pre.groupby("session", sort=True)
    viewed = pre["price"].where(pre["event_type"] == "view")
    first, last = g["time"].first(), g["time"].last()
    hour = ((first % 86400 + 86400) % 86400) / 3600
    pv = viewed.groupby(pre["session"])
    mean = pv.mean()
    f = pd.DataFrame({"views": (pre["event_type"] == "view").groupby(pre["session"]).sum(),
                      "carts": (pre["event_type"] == "cart").groupby(pre["session"]).sum(),
                      "removes": (pre["event_type"] == "remove_from_cart").groupby(pre["session"]).sum(),
                      "evening": (hour >= 18).astype("int64"), "log_mean_price": np.log(mean).fillna(0), "hour": np.floor(hour),
                      "duration": last - first, "distinct_products": g["product"].nunique(dropna=False),
                      "distinct_categories": g["category"].nunique(dropna=False),
                      "min_price": pv.min().fillna(0), "max_price": pv.max().fillna(0), "mean_price": mean.fillna(0)})
    f = f.reindex(label.index, fill_value=0)
    out = pd.DataFrame({"user": users, "session": label.index}, index=label.index)
    out = pd.concat([out, f], axis=1)
    for name, values in [("category", pre["category"].str.split(".", n=1).str[0]), ("brand", pre["brand"])]:
        v = pd.DataFrame({"session": pre["session"], "v": values})
        v = v[v["v"] != ""]
        c = v.groupby(["session", "v"]).size().reset_index(name="n").sort_values(["session", "n", "v"], ascending=[True, False, True])
        mode = c.drop_duplicates("session").set_index("session")["v"].reindex(label.index, fill_value="")
        counts = mode[mode != ""].value_counts().reset_index()
        counts.columns = ["v", "n"]
        levels = [l for l in counts.sort_values(["n", "v"], ascending=[False, True])["v"].head(10) if l != "other"]
        for l in levels: out[f"{name}={l}"] = (mode == l).astype("int64")
        out[f"{name}=other"] = ((mode != "") & ~mode.isin(levels)).astype("int64")
    out["label"] = label.astype("int64")
    out.to_csv(dst, index=False)

def duckdb_customers(src, dst):
    import duckdb
    duckdb.sql(f"""COPY (
        WITH d AS (SELECT "user" AS customer, floor(time / 86400)::BIGINT AS day, sum(price) AS spend
                   FROM read_csv('{src}', all_varchar = true, types = {{'time': 'DOUBLE', 'price': 'DOUBLE'}})
                   WHERE event_type = 'purchase' AND price > 0 AND isfinite(price) GROUP BY ALL),
        c AS (SELECT customer, count(*) AS n, min(day) AS first, max(day) AS last, sum(spend) AS spend,
                     arg_min(spend, day) AS first_spend FROM d WHERE day <= {CAL} GROUP BY customer),
        h AS (SELECT customer, count(*) AS ht, sum(spend) AS hs FROM d WHERE day > {CAL} AND day <= {HOLD} GROUP BY customer),
        r AS (SELECT c.customer, n - 1 AS frequency, (last - first) / 7 AS recency, ({CAL} - first) / 7 AS "T",
                     CASE WHEN n > 1 THEN (spend - first_spend) / (n - 1) ELSE 0 END AS monetary, {CAL} - last AS days_since_last,
                     {CAL} - first AS tenure_days, spend AS calibration_spend, coalesce(ht, 0) AS holdout_transactions,
                     coalesce(hs, 0) AS holdout_spend, CASE WHEN ht IS NULL THEN 1 ELSE 0 END AS churned
              FROM c LEFT JOIN h USING (customer))
        SELECT customer, frequency, recency, "T", monetary, days_since_last, tenure_days, calibration_spend,
               1 + least(4, 5 * (rank() OVER (ORDER BY -days_since_last) - 1) // count(*) OVER ()) AS r_score,
               1 + least(4, 5 * (rank() OVER (ORDER BY frequency) - 1) // count(*) OVER ()) AS f_score,
               1 + least(4, 5 * (rank() OVER (ORDER BY calibration_spend / (frequency + 1)) - 1) // count(*) OVER ()) AS m_score,
               holdout_transactions, holdout_spend, churned
        FROM r ORDER BY customer) TO '{dst}' (HEADER, DELIMITER ',')""")

def duckdb_sessions(src, dst):
    import duckdb
    con = duckdb.connect()
    con.sql(f"""CREATE TEMP TABLE e AS SELECT *,
                  sum((event_type = 'purchase')::INT) OVER (PARTITION BY session ORDER BY time, n ROWS UNBOUNDED PRECEDING) AS labels_so_far
                FROM (SELECT *, row_number() OVER () AS n FROM read_csv('{src}', all_varchar = true, types = {{'time': 'DOUBLE', 'price': 'DOUBLE'}}))""")
    onehot = []
    for name, expr in [("category", "split_part(category, '.', 1)"), ("brand", "brand")]:
        con.sql(f"""CREATE TEMP TABLE m_{name} AS SELECT session, arg_min(v, (-k, v)) AS v FROM (
                      SELECT session, {expr} AS v, count(*) AS k FROM e WHERE labels_so_far = 0 AND {expr} <> '' GROUP BY ALL) GROUP BY session""")
        levels = [r[0] for r in con.sql(f"SELECT v FROM m_{name} GROUP BY v ORDER BY count(*) DESC, v LIMIT 10").fetchall() if r[0] != "other"]
        quoted = ", ".join("'" + l.replace("'", "''") + "'" for l in levels)
        for l in levels:
            onehot.append(f"""coalesce((m_{name}.v = '{l.replace("'", "''")}')::INT, 0) AS "{name}={l}" """)
        onehot.append(f"""coalesce((m_{name}.v NOT IN ({quoted or "''"}))::INT, 0) AS "{name}=other" """)
    con.sql(f"""COPY (
        WITH s AS (SELECT session, arg_min("user", (time, n)) AS "user", max((event_type = 'purchase')::INT) AS label FROM e GROUP BY session),
        p AS (SELECT session, count(*) FILTER (event_type = 'view') AS views, count(*) FILTER (event_type = 'cart') AS carts,
                     count(*) FILTER (event_type = 'remove_from_cart') AS removes, arg_min(time, (time, n)) AS first, max(time) AS last,
                     count(DISTINCT product) AS distinct_products, count(DISTINCT category) AS distinct_categories,
                     avg(price) FILTER (event_type = 'view' AND isfinite(price)) AS mean,
                     min(price) FILTER (event_type = 'view' AND isfinite(price)) AS lo, max(price) FILTER (event_type = 'view' AND isfinite(price)) AS hi
              FROM e WHERE labels_so_far = 0 GROUP BY session)
        SELECT s."user", s.session, coalesce(views, 0) AS views, coalesce(carts, 0) AS carts, coalesce(removes, 0) AS removes,
               coalesce((((first % 86400 + 86400) % 86400) / 3600 >= 18)::INT, 0) AS evening, coalesce(ln(mean), 0) AS log_mean_price,
               coalesce(floor(((first % 86400 + 86400) % 86400) / 3600), 0) AS hour, coalesce(last - first, 0) AS duration,
               coalesce(distinct_products, 0) AS distinct_products, coalesce(distinct_categories, 0) AS distinct_categories,
               coalesce(lo, 0) AS min_price, coalesce(hi, 0) AS max_price, coalesce(mean, 0) AS mean_price, {", ".join(onehot)}, label
        FROM s LEFT JOIN p USING (session) LEFT JOIN m_category USING (session) LEFT JOIN m_brand USING (session)
        ORDER BY s.session) TO '{dst}' (HEADER, DELIMITER ',')""")

def main():
    engine, step, src, dst = sys.argv[1:5]
    f = {"pandas": {"ingest": pandas_ingest, "clean": pandas_clean, "customers": pandas_customers, "sessions": pandas_sessions},
         "duckdb": {"ingest": duckdb_ingest, "clean": duckdb_clean, "customers": duckdb_customers, "sessions": duckdb_sessions}}[engine][step]
    t0 = time.perf_counter()
    f(src, dst)
    print(f"{time.perf_counter() - t0:.2f}")

main()
