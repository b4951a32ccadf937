"""The Python side of bench/run-csv-reads.sh: reads DATA N times with pandas (C engine), then N times
with polars, printing `tool<TAB>read<TAB>seconds` per read (inside the process, after imports)."""
import sys
import time
import pandas as pd
import polars as pl

data, n = sys.argv[1], int(sys.argv[2])
for tool, read in (("pandas", lambda: pd.read_csv(data, engine="c")), ("polars", lambda: pl.read_csv(data))):
    for _ in range(n):
        t = time.perf_counter()
        read()
        print(f"{tool}\tread\t{time.perf_counter() - t:.6f}", flush=True)
