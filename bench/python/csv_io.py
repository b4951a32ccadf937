"""One turn of the CSV benchmark's Python side: reads DATA with pandas (C engine), polars and DuckDB,
and writes the frame read with pandas `to_csv` and polars `write_csv` into OUTDIR.
Prints lines `tool<TAB>operation<TAB>seconds<TAB>rows x columns`, like bench-csv."""
import sys
import time
import duckdb
import pandas as pd
import polars as pl

data, outdir = sys.argv[1], sys.argv[2]


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


s, df = timed(lambda: pd.read_csv(data, engine="c"))
print(f"pandas\tread\t{s:.6f}\t{df.shape[0]}x{df.shape[1]}")
s, pf = timed(lambda: pl.read_csv(data))
print(f"polars\tread\t{s:.6f}\t{pf.shape[0]}x{pf.shape[1]}")
con = duckdb.connect()
con.execute("SET threads TO 2")
s, dd = timed(lambda: con.read_csv(data).fetchnumpy())
print(f"duckdb\tread\t{s:.6f}\t{len(next(iter(dd.values())))}x{len(dd)}")
s, _ = timed(lambda: df.to_csv(f"{outdir}/pandas.csv", index=False))
print(f"pandas\twrite\t{s:.6f}\t{df.shape[0]}x{df.shape[1]}")
s, _ = timed(lambda: pf.write_csv(f"{outdir}/polars.csv"))
print(f"polars\twrite\t{s:.6f}\t{pf.shape[0]}x{pf.shape[1]}")
