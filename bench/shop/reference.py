#!/usr/bin/env python3
"""The shop DAG's two heaviest steps written in pandas and in DuckDB, as references for Loom's
`ingest_events` and `clean` (same definitions; output bytes differ only in number format).

Usage: reference.py ENGINE STEP IN.csv OUT.csv     ENGINE: pandas | duckdb; STEP: ingest | clean

ingest: the generator's REES46 log -> user, session, event_type (trimmed, lower-case), time (epoch
        seconds), price, product, category, brand, in input order.
clean:  drops events without user or session, outside [2019-10-01, 2020-10-01), with a negative
        price, purchases without a positive price, then duplicates in (user, session, event_type,
        time, product, price), keeping the first; input order kept.
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

def main():
    engine, step, src, dst = sys.argv[1:5]
    f = {"pandas": {"ingest": pandas_ingest, "clean": pandas_clean}, "duckdb": {"ingest": duckdb_ingest, "clean": duckdb_clean}}[engine][step]
    t0 = time.perf_counter()
    f(src, dst)
    print(f"{time.perf_counter() - t0:.2f}")

main()
