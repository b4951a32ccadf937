# Sourced by run-gbdt.sh and run-kmeans.sh (from the repo root): the Python venv, the shared data set
# bench/data/classification.csv, and the release build of the Swift benchmark named in $1.
# Sets: py (the venv's python), data (the CSV), bin (the benchmark binary).
bash bench/setup-python.sh
py=bench/.venv/bin/python
data=bench/data/classification.csv
mkdir -p bench/data
[ -f "$data" ] || "$py" bench/python/make_classification.py "$data"
swift build -c release --package-path bench --product "$1" >&2
bin="$(swift build -c release --package-path bench --show-bin-path)/$1"
