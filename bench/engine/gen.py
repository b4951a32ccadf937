"""Writes the same trivial work as a Loom DAG, a build.ninja and a Makefile into DIR.
wide: N independent tasks (each writes its number to a file) + one task that concatenates them all.
chain: N tasks, each reading the previous one's file and appending its number.
output: one task writing an N MiB file and one reading it (a no-op checks a large artifact).
inputs: wide, but task i declares and reads its own input file in/i<i>.txt (Loom `files:`, a
  ninja/make prerequisite), so changing one file reruns that task and the join. The join reads its
  inputs through a glob: a command line naming 30,000 files is longer than Linux allows one
  argument (128 KiB), and ninja and make pass the command to sh -c as one argument. ninja makes
  output directories itself; make gets an order-only rule for o/, so each task starts sh and cat
  with every tool. make runs without built-in rules (-r): otherwise it searches its implicit rules
  for each of the N input files, which is make's known cost, not work the others do."""
import os, sys

kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(out, "dags"), exist_ok=True)
loom, ninja, make = ["tasks:"], ["rule w", "  command = $cmd"], []
if kind == "wide":
    for i in range(n):
        loom.append(f"  t{i}: {{kind: shell, cmd: 'echo {i} > $LOOM_OUT/o'}}")
        ninja.append(f"build o/t{i}: w\n  cmd = mkdir -p o && echo {i} > o/t{i}")
        make.append(f"o/t{i}:\n\t@mkdir -p o && echo {i} > $@")
    needs = ", ".join(f"t{i}" for i in range(n))
    loom.append(f"  all: {{kind: shell, needs: [{needs}], cmd: 'cat $LOOM_IN/*/o > $LOOM_OUT/all'}}")
    deps = " ".join(f"o/t{i}" for i in range(n))
    ninja.append(f"build all: w {deps}\n  cmd = cat {deps} > all")
    make.insert(0, f"all: {deps}\n\t@cat $^ > $@")
elif kind == "inputs":
    os.makedirs(os.path.join(out, "in"), exist_ok=True)
    for i in range(n):
        with open(os.path.join(out, "in", f"i{i}.txt"), "w") as f:
            f.write(f"{i}\n")
        loom.append(f"  t{i}: {{kind: shell, files: [in/i{i}.txt], cmd: 'cat in/i{i}.txt > $LOOM_OUT/o'}}")
        ninja.append(f"build o/t{i}: w in/i{i}.txt\n  cmd = cat in/i{i}.txt > o/t{i}")
        make.append(f"o/t{i}: in/i{i}.txt | o\n\t@cat in/i{i}.txt > $@")
    needs = ", ".join(f"t{i}" for i in range(n))
    loom.append(f"  all: {{kind: shell, needs: [{needs}], cmd: 'cd \"$LOOM_IN\" && cat */o > \"$LOOM_OUT/all\"'}}")
    deps = " ".join(f"o/t{i}" for i in range(n))
    ninja.append(f"build all: w {deps}\n  cmd = cat o/t* > all")
    make[:0] = ["MAKEFLAGS += -r", f"all: {deps}\n\t@cat o/t* > $@", "o:\n\t@mkdir -p o"]
elif kind == "output":
    # One task writes an N MiB file, a second reads it: a no-op checks a large artifact (issue 10:
    # "no-op with a 200 MiB output").
    size = n << 20
    loom.append(f"  big: {{kind: shell, cmd: 'head -c {size} /dev/zero > $LOOM_OUT/big'}}")
    loom.append("  size: {kind: shell, needs: [big], cmd: 'wc -c < $LOOM_IN/big/big > $LOOM_OUT/n'}")
    ninja.append(f"build o/big: w\n  cmd = mkdir -p o && head -c {size} /dev/zero > o/big")
    ninja.append("build o/n: w o/big\n  cmd = wc -c < o/big > o/n")
    make.append(f"o/big:\n\t@mkdir -p o && head -c {size} /dev/zero > $@")
    make.append("o/n: o/big\n\t@wc -c < $< > $@")
    make.insert(0, "all: o/n")
else:
    for i in range(n):
        if i == 0:
            loom.append(f"  t0: {{kind: shell, cmd: 'echo 0 > $LOOM_OUT/o'}}")
            ninja.append("build o/t0: w\n  cmd = mkdir -p o && echo 0 > o/t0")
            make.append("o/t0:\n\t@mkdir -p o && echo 0 > $@")
        else:
            loom.append(f"  t{i}: {{kind: shell, needs: [t{i-1}], cmd: 'cat $LOOM_IN/t{i-1}/o > $LOOM_OUT/o; echo {i} >> $LOOM_OUT/o'}}")
            ninja.append(f"build o/t{i}: w o/t{i-1}\n  cmd = cat o/t{i-1} > o/t{i} && echo {i} >> o/t{i}")
            make.append(f"o/t{i}: o/t{i-1}\n\t@cat $< > $@ && echo {i} >> $@")
    make.insert(0, f"all: o/t{n-1}")
    ninja.append(f"default o/t{n-1}")
open(os.path.join(out, "dags", "bench.yaml"), "w").write("\n".join(loom) + "\n")
open(os.path.join(out, "loom.yaml"), "w").write("loom: 1\n")   # the project file (`loom init` writes the same)
open(os.path.join(out, "build.ninja"), "w").write("\n".join(ninja) + "\n")
open(os.path.join(out, "Makefile"), "w").write("\n".join(make) + "\n")
