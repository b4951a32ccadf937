// BG/NBD + Gamma-Gamma on the full CDNOW cohort with LoomAnalytics, for bench/run-clv.sh.
// Usage: bench-clv CDNOW_master.csv REPEATS   Prints one JSON line (medians and the estimates).
import Foundation
import LoomAnalytics

let args = CommandLine.arguments
guard args.count == 3, let repeats = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: bench-clv FILE.csv REPEATS\n".utf8))
    exit(2)
}
func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

do {
    let t = try CSV.read(args[1], types: ["customer_id": .text, "date": .text])
    var fits: [Double] = [], totals: [Double] = []
    var bg: BGNBDModel?, gg: GammaGammaModel?
    var customers = 0
    for _ in 0..<repeats {
        let t0 = now()
        let days = try t.texts("date").map { CivilDate.parse($0) ?? -1 }
        let f = try CustomerFeatures(customers: try t.texts("customer_id"), days: days, amounts: try t.numbers("dollar_value"),
                                     calibrationEnd: CivilDate.parse("1997-09-30")!, holdoutEnd: CivilDate.parse("1998-06-30")!)
        let t1 = now()
        bg = try BGNBD.fit(frequency: f.rows.map { Double($0.frequency) }, recency: f.rows.map(\.recency), age: f.rows.map(\.age))
        gg = try GammaGamma.fit(frequency: f.rows.map { Double($0.frequency) }, meanSpend: f.rows.map(\.monetary))
        let t2 = now()
        fits.append(t2 - t1)
        totals.append(t2 - t0)
        customers = f.rows.count
    }
    let out: [String: Double] = ["customers": Double(customers), "fit_median_s": median(fits), "total_median_s": median(totals),
                                 "r": bg!.r, "alpha": bg!.alpha, "a": bg!.a, "b": bg!.b, "p": gg!.p, "q": gg!.q, "v": gg!.v]
    let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("bench-clv: \(error)\n".utf8))
    exit(1)
}
