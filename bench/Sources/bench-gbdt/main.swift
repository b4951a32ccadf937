// bench-gbdt: times GradientBoosting.fit on bench/data/classification.csv (first 160,000 rows train,
// the rest test) with the default config (100 rounds, 31 leaves, lr 0.1, 255 bins, min 20 per leaf, l2 0)
// and prints one line: name, median seconds, all timings, test AUC.
// usage: bench-gbdt [csv] [repeats]
import Foundation
import LoomAnalytics

let args = CommandLine.arguments
let path = args.count > 1 ? args[1] : "bench/data/classification.csv"
let repeats = args.count > 2 ? Int(args[2]) ?? 5 : 5
let trainRows = 160_000

/// Reads a numeric CSV with a header row: all columns but the last are features, the last is the label.
func readCSV(_ path: String) -> (x: [Double], y: [Double], columns: Int) {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("bench-gbdt: cannot read \(path)\n".data(using: .utf8)!)
        exit(1)
    }
    var values = [Double](), columns = 0
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        let p = raw.bindMemory(to: CChar.self)
        guard let base = p.baseAddress else { return }
        var i = 0
        while i < p.count && p[i] != 10 { if p[i] == 44 { columns += 1 }; i += 1 }   // header: count commas
        columns += 1
        i += 1
        var end: UnsafeMutablePointer<CChar>?
        while i < p.count {
            let v = strtod(base + i, &end)
            guard let e = end, e != UnsafeMutablePointer(mutating: base + i) else { i += 1; continue }
            values.append(v)
            i = e - UnsafeMutablePointer(mutating: base) + 1
        }
    }
    let rows = values.count / columns
    var x = [Double](), y = [Double]()
    x.reserveCapacity(rows * (columns - 1))
    for r in 0..<rows {
        x.append(contentsOf: values[(r * columns)..<(r * columns + columns - 1)])
        y.append(values[r * columns + columns - 1])
    }
    return (x, y, columns - 1)
}

/// ROC AUC by the rank-sum (Mann-Whitney) formula with average ranks for ties.
func auc(_ y: [Double], _ score: [Double]) -> Double {
    let order = score.indices.sorted { score[$0] < score[$1] }
    var rankSum = 0.0, k = 0
    while k < order.count {
        var j = k
        while j + 1 < order.count && score[order[j + 1]] == score[order[k]] { j += 1 }
        let rank = Double(k + j) / 2 + 1
        for t in k...j where y[order[t]] == 1 { rankSum += rank }
        k = j + 1
    }
    let pos = y.reduce(0, +), neg = Double(y.count) - pos
    return (rankSum - pos * (pos + 1) / 2) / (pos * neg)
}

let (all, labels, columns) = readCSV(path)
let rows = labels.count
let xTrain = Matrix(rows: trainRows, columns: columns, values: Array(all[0..<(trainRows * columns)]))
let yTrain = Array(labels[0..<trainRows])
let xTest = Matrix(rows: rows - trainRows, columns: columns, values: Array(all[(trainRows * columns)...]))
let yTest = Array(labels[trainRows...])

var times = [Double](), model: GradientBoostingModel?
for _ in 0..<repeats {
    let t0 = DispatchTime.now().uptimeNanoseconds
    model = try GradientBoosting.fit(x: xTrain, y: yTrain, config: .init())
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
}
let p = try model!.predictProbability(xTest)
// A digest of the model's JSON on stderr: the same on any machine and any number of threads.
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
let json = try encoder.encode(model!)
let digest = json.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }   // FNV-1a
FileHandle.standardError.write("bench-gbdt: model JSON \(json.count) bytes, FNV-1a \(String(digest, radix: 16))\n".data(using: .utf8)!)
let median = times.sorted()[times.count / 2]
print("loom-swift\t\(String(format: "%.4f", median))\t\(times.map { String(format: "%.3f", $0) }.joined(separator: ","))\t\(String(format: "%.5f", auc(yTest, p)))")
