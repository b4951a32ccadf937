"""SHA-256 of a file with hashlib in 1 MiB reads; prints seconds."""
import hashlib, sys, time
t = time.perf_counter()
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(1 << 20):
        h.update(chunk)
h.hexdigest()
print(time.perf_counter() - t)
