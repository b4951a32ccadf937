// bench-kmeans: times KMeans.fit on the 20 features of bench/data/classification.csv (all 200,000 rows,
// label excluded), standardised with FeatureScaling (population std, outside the timing), with
// k = 8, nInit = 10, maxIterations = 300, tolerance = 1e-4, and prints one line per fit:
// "swift<TAB>seconds<TAB>inertia<TAB>iterations of the winning restart".
// usage: bench-kmeans [csv] [fits] [seed]
import Foundation
import LoomAnalytics

let args = CommandLine.arguments
let path = args.count > 1 ? args[1] : "bench/data/classification.csv"
let fits = args.count > 2 ? Int(args[2]) ?? 1 : 1
let seed = args.count > 3 ? UInt64(args[3]) ?? 0 : 0

do {
    let table = try CSV.read(path)
    let features = (0..<20).map { "f\($0)" }
    let raw = try table.matrix(features)
    let x = try FeatureScaling.fit(raw).apply(raw)
    let config = KMeans.Config(k: 8, nInit: 10, maxIterations: 300, tolerance: 1e-4, seed: seed)
    for _ in 0..<fits {
        let start = DispatchTime.now().uptimeNanoseconds
        let model = try KMeans.fit(x, config: config)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("swift\t\(seconds)\t\(model.inertia)\t\(model.iterations)")
    }
} catch {
    FileHandle.standardError.write("bench-kmeans: \(error)\n".data(using: .utf8)!)
    exit(1)
}
