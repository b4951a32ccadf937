import Foundation

/// Numbers as people read them in tables and reports (not for files: those use `JSON.format`).
public enum NumberText {
    /// Integers without a decimal point; 1000 and above with one decimal; others to 4 significant
    /// digits (`0.1235`); no exponent for everyday sizes.
    public static func metric(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e12 { return String(Int(d)) }
        if abs(d) >= 1000 { return String(format: "%.1f", d) }
        return String(format: "%.4g", d)
    }

    /// `d` with exactly `digits` decimals, rounded half away from zero (as `%.Nf` for the values
    /// Loom prints: durations, seconds), without Foundation's formatter (it sits on hot paths).
    public static func fixed(_ d: Double, _ digits: Int) -> String {
        guard d.isFinite, abs(d) < 1e15 else { return String(format: "%.\(digits)f", d) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((abs(d) * scale).rounded(.toNearestOrAwayFromZero))
        var s = String(n / Int(scale))
        if digits > 0 {
            let frac = String(n % Int(scale))
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return (d.sign == .minus ? "-" : "") + s
    }
}
