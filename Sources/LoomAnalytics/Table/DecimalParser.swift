/// Exact decimal-to-Double conversion for the common case, without a String: Clinger's fast path
/// (W. D. Clinger, "How to Read Floating Point Numbers Accurately", PLDI 1990, section 3).
///
/// A decimal `w x 10^e` with an integer `w <= 2^53` and `|e| <= 22` is `Double(w)` times or divided
/// by `10^|e|`, both exactly representable (10^22 < 2^53 x 2^22 is the largest exact power of ten),
/// so one IEEE operation rounds the exact quotient or product once: the correctly rounded result,
/// the same Double that `strtod` (and Swift's `Double(String)`, which calls it) gives. Exponents up
/// to 22 + 15 are shifted into `w` first when `w` stays below 2^53.
///
/// Significands above 2^53 and exponents beyond Clinger's range (17-digit numbers, the shortest
/// round-trip form Loom writes) go to `EiselLemire`, which decides all but the rare products too
/// close to a rounding boundary. Anything else (more than 19 significant digits, subnormal or
/// overflowing results, `inf`, hex, a stray character) is not decided here: `parse` returns nil
/// and the caller asks the reference (`CSV.number`). A differential test holds the two equal over
/// random, near-half-way and edge-case inputs.
enum DecimalParser {
    /// Exact powers of ten as Doubles, 10^0 ... 10^22.
    static let powers: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { r, _ in r * 10 } }

    /// The value of the bytes `p[start..<end]` when they are a plain decimal
    /// (`[+-]? digits* [. digits*] [(e|E) [+-]? digits+]`, at least one mantissa digit) that the
    /// fast path can convert exactly; otherwise nil (which does not mean "not a number").
    @inline(__always)
    static func parse(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var i = start
        guard i < end else { return nil }
        var negative = false
        if p[i] == 0x2D { negative = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        var w: UInt64 = 0
        var significant = 0      // digits in w, counted from the first non-zero one
        var mantissaDigits = 0   // all mantissa digits, zeros included
        var scale = 0            // digits after the point (they divide w)
        while i < end, p[i] &- 0x30 < 10 {
            let d = UInt64(p[i] &- 0x30)
            if significant > 0 || d != 0 { significant += 1; guard significant <= 19 else { return nil }; w = w &* 10 &+ d }
            mantissaDigits += 1
            i += 1
        }
        if i < end, p[i] == 0x2E {
            i += 1
            while i < end, p[i] &- 0x30 < 10 {
                let d = UInt64(p[i] &- 0x30)
                if significant > 0 || d != 0 { significant += 1; guard significant <= 19 else { return nil }; w = w &* 10 &+ d }
                mantissaDigits += 1
                scale += 1
                i += 1
            }
        }
        guard mantissaDigits > 0 else { return nil }
        var exponent = 0
        if i < end, p[i] | 0x20 == 0x65 {
            i += 1
            var negativeExponent = false
            if i < end, p[i] == 0x2D { negativeExponent = true; i += 1 } else if i < end, p[i] == 0x2B { i += 1 }
            let first = i
            while i < end, p[i] &- 0x30 < 10 {
                guard i - first < 6 else { return nil }   // |exponent| < 10^6: no overflow; such numbers go to the reference
                exponent = exponent * 10 + Int(p[i] &- 0x30)
                i += 1
            }
            guard i > first else { return nil }
            if negativeExponent { exponent = -exponent }
        }
        guard i == end else { return nil }
        if w == 0 { return negative ? -0.0 : 0.0 }
        let e = exponent - scale
        if let v = clinger(w, e) { return negative ? -v : v }
        return EiselLemire.value(w, e, negative: negative)
    }

    /// Clinger's exact product or quotient for w x 10^e (w > 0), or nil when w or e is out of its range.
    @inline(__always)
    static func clinger(_ w: UInt64, _ e: Int) -> Double? {
        guard w <= 1 << 53 else { return nil }
        var w = w, e = e
        if e > 22 {
            // w x 10^(e - 22) may still be an exact integer below 2^53.
            while e > 22 {
                let (m, overflow) = w.multipliedReportingOverflow(by: 10)
                guard !overflow, m <= 1 << 53 else { return nil }
                w = m
                e -= 1
            }
        }
        guard e >= -22 else { return nil }
        return e >= 0 ? Double(w) * powers[e] : Double(w) / powers[-e]
    }
}
