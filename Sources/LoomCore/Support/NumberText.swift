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
}
