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
        guard let whole = digits(p, &i, end, &w, &significant) else { return nil }
        mantissaDigits += whole
        if i < end, p[i] == 0x2E {
            i += 1
            guard let fraction = digits(p, &i, end, &w, &significant) else { return nil }
            mantissaDigits += fraction
            scale += fraction
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

    /// Reads the run of digits at `p[i...]` (before `end`) into `w`, eight at a time where it can:
    /// how many digits there were, or nil past 19 significant ones.
    @inline(__always)
    static func digits(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, _ w: inout UInt64, _ significant: inout Int) -> Int? {
        let start = i
        while i + 8 <= end, let block = eightDigits(p, i) {
            guard take(block, &w, &significant) else { return nil }
            i += 8
        }
        while i < end, p[i] &- 0x30 < 10 {
            let d = UInt64(p[i] &- 0x30)
            if significant > 0 || d != 0 { significant += 1; guard significant <= 19 else { return nil }; w = w &* 10 &+ d }
            i += 1
        }
        return i - start
    }

    /// The value of the 8 bytes at `p + i` when all are ASCII digits, else nil: one unaligned load and a
    /// few multiplications instead of 8 dependent multiply-adds (Lemire 2021, section 4; fast_float's
    /// `is_made_of_eight_digits_fast` and `parse_eight_digits_unrolled`). Little-endian loads (x86_64,
    /// arm64): the first digit is the lowest byte.
    @inline(__always)
    static func eightDigits(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt64? {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).littleEndian
        guard (v & 0xF0F0_F0F0_F0F0_F0F0) | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4) == 0x3333_3333_3333_3333 else { return nil }
        var d = v &- 0x3030_3030_3030_3030
        d = d &* 10 &+ (d >> 8)                              // pairs: byte 2k holds digits 2k, 2k+1 as a number < 100
        let lo = (d & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
        let hi = ((d >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))
        return (lo &+ hi) >> 32
    }

    /// Appends 8 digits worth `block` to `w`, counting significant digits from the first non-zero one
    /// as the digit loop does; false when that passes 19 (w would no longer be exact).
    @inline(__always)
    static func take(_ block: UInt64, _ w: inout UInt64, _ significant: inout Int) -> Bool {
        if significant > 0 {
            significant += 8
            guard significant <= 19 else { return false }
            w = w &* 100_000_000 &+ block
        } else if block != 0 {
            // w is 0: the significant digits are block's own (its leading zeros are not).
            var digits = 1, t = block
            while t >= 10 { t /= 10; digits += 1 }
            significant = digits
            w = block
        }
        return true
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
