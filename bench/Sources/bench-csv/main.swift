// One turn of the CSV benchmark's Loom side: reads DATA with `CSV.read` (what built-in kinds call
// through `ArtifactFiles`, types inferred) and writes the table with `CSV.write` into OUTDIR; then
// the same with the reference (serial) reader and writer, `CSV.parseSerially` / `encodeSerially`,
// which the fast paths are tested against (the "before" of issue 12, measured in the same run).
// Prints lines `tool<TAB>operation<TAB>seconds<TAB>rows x columns`, like bench/python/csv_io.py.
// usage: bench-csv DATA OUTDIR
import Foundation
import LoomAnalytics

let args = CommandLine.arguments
guard args.count == 3 else {
    FileHandle.standardError.write("usage: bench-csv DATA OUTDIR\n".data(using: .utf8)!)
    exit(2)
}
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func shape(_ t: Table) -> String { "\(t.rowCount)x\(t.columnCount)\(t.columns.allSatisfy { $0.numbers != nil } ? "" : " (not all numeric)")" }

// Profiling mode (BENCH_CSV_READS=N): only `CSV.read`, N times, each time on stderr, then the fastest.
if let reads = ProcessInfo.processInfo.environment["BENCH_CSV_READS"].flatMap(Int.init), reads > 0 {
    var best = Double.infinity
    for _ in 0..<reads {
        let t = now()
        let table = try CSV.read(args[1])
        let s = now() - t
        best = min(best, s)
        FileHandle.standardError.write("bench-csv: read \(s) s (\(shape(table)))\n".data(using: .utf8)!)
    }
    print("loom\tread-fastest\t\(best)")
    exit(0)
}

var t = now()
let table = try CSV.read(args[1])
print("loom\tread\t\(now() - t)\t\(shape(table))")
t = now()
try CSV.write(table, to: args[2] + "/loom.csv")
print("loom\twrite\t\(now() - t)\t\(shape(table))")

t = now()
let serial = try CSV.parseSerially([UInt8](FileManager.default.contents(atPath: args[1])!), file: args[1])
print("loom-serial\tread\t\(now() - t)\t\(shape(serial))")
t = now()
try Data(CSV.encodeSerially(serial)).write(to: URL(fileURLWithPath: args[2] + "/loom-serial.csv"))
print("loom-serial\twrite\t\(now() - t)\t\(shape(serial))")
guard serial == table, FileManager.default.contentsEqual(atPath: args[2] + "/loom.csv", andPath: args[2] + "/loom-serial.csv") else {
    FileHandle.standardError.write("bench-csv: the fast and the reference paths disagree\n".data(using: .utf8)!)
    exit(1)
}

// Stages of the read, for profiling: the file into memory, then the parse alone.
t = now()
let bytes = [UInt8](FileManager.default.contents(atPath: args[1])!)
let load = now() - t
t = now()
_ = try CSV.parse(bytes, file: args[1])
FileHandle.standardError.write("bench-csv: load \(load) s, parse in memory \(now() - t) s\n".data(using: .utf8)!)
