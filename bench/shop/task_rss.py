#!/usr/bin/env python3
"""Peak resident set per built-in task of a running `loom run`.

Usage: task_rss.py OUT.tsv -- COMMAND...   (runs COMMAND, samples /proc every 20 ms)

Run it in the project's directory. Every `loom exec-builtin JOBFILE` process whose job file is
under that directory is found by its command line; its task comes from the job file's name, its
kind from the file (read through /proc/PID/root, as the task may run in its own mount namespace), and its peak from VmHWM in /proc/PID/status (the kernel's high-water mark of
the resident set, so a sample taken any time before the process exits is exact up to that
moment; only growth in the last 20 ms before exit can be missed). Writes `task  kind  peak_mb`
per task, in start order, to OUT.tsv, and exits with COMMAND's status.
"""
import json, os, subprocess, sys, time

def scan(tasks, root):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"exec-builtin" not in args:
            continue
        t = tasks.get(pid)
        if t is None:
            job = args[args.index(b"exec-builtin") + 1].decode()
            if not job.startswith(root + "/"):
                continue   # another project's task (the machine may run other Loom projects)
            kind = "?"
            for p in (f"/proc/{pid}/root{job}", job):
                try:
                    with open(p) as f:
                        kind = json.load(f)["kind"]
                    break
                except (OSError, ValueError, KeyError):
                    pass
            # The engine names job files TASK.PID.RANDOM.job.json.
            parts = os.path.basename(job).split(".")
            name = ".".join(parts[:-4]) if len(parts) > 4 and parts[-2:] == ["job", "json"] else kind
            t = tasks[pid] = {"task": name, "kind": kind, "peak_kb": 0, "order": len(tasks)}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        t["peak_kb"] = max(t["peak_kb"], int(line.split()[1]))
        except OSError:
            pass

def main():
    out, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    tasks = {}
    root = os.path.realpath(os.getcwd())
    proc = subprocess.Popen(cmd)
    while proc.poll() is None:
        scan(tasks, root)
        time.sleep(0.02)
    with open(out, "w") as f:
        for pid, t in sorted(tasks.items(), key=lambda kv: kv[1]["order"]):
            f.write(f"{t['task']}\t{t['kind']}\t{t['peak_kb'] / 1024:.0f}\n")
    sys.exit(proc.returncode)

main()
