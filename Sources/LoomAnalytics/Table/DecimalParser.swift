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
    /// The value of the bytes `p[start..<end]` when they are a plain decimal
    /// (`[+-]? digits* [. digits*] [(e|E) [+-]? digits+]`, at least one mantissa digit) that the
    /// fast path can convert exactly; otherwise nil (which does not mean "not a number").
    @inline(always)
    static func parse(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var i = start
        guard let value = scan(p, &i, end, readable: end), i == end else { return nil }
        return value
    }

    /// Reads the plain decimal that starts at `p[i]` (before `end`) and moves `i` past it, stopping
    /// at the first byte that cannot continue it (the CSV reader's comma): its value when the fast
    /// path can convert it exactly, else nil. `parse` is `scan` that must stop at `end`; the CSV
    /// reader calls `scan` to find a field's end and its value in one pass over the bytes.
    /// `readable` (>= end): bytes before it may be loaded eight at a time, even past `end`
    /// (they are never read as part of the number).
    @inline(always)
    static func scan(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, readable: Int) -> Double? {
        if i + 40 <= readable, let v = plain(p, &i, end) { return v }
        return general(p, &i, end, readable: readable)
    }

    /// `scan` for the commonest shape, `[+-]? d{0,7} [. d{0,24}]` with at most 19 digits in all and
    /// no exponent (`-1.7971044852075218`, `0.58488931268581623`, `3`): the value and `i` moved past
    /// it, exactly as `general` gives them (same w, same exponent, same conversion), or nil with `i`
    /// unchanged for `general` to read. Needs 40 bytes readable from `i` (bytes past the field are
    /// loaded, never used).
    ///
    /// Why: `general` walks the digits a run at a time, each 8-byte load waiting for the previous
    /// run's length; here one load finds the integer part, then the fraction's three loads are
    /// independent, and the digit blocks are converted without branches (a run shorter than 8 is
    /// padded with leading zeros, an empty one is 0), so the next field's position is known after
    /// two dependent loads. A differential test holds it equal to `general` over random fields.
    @inline(always)
    static func plain(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> Double? {
        var s = i
        let negative = p[s] == 0x2D
        if negative || p[s] == 0x2B { s += 1 }
        let a = load(p + s)
        let k = leadingDigits(a)
        guard k < 8 else { return nil }
        var w = padded(a, k)
        var f = 0
        var q = s + k
        if p[q] == 0x2E {
            let b = load(p + q + 1), c = load(p + q + 9), d = load(p + q + 17)
            let nb = leadingDigits(b), nc = leadingDigits(c), nd = leadingDigits(d)
            f = nb < 8 ? nb : nc < 8 ? 8 &+ nc : 16 &+ nd
            guard k &+ f <= 19 else { return nil }   // w exact in 64 bits (leading zeros count too: rare)
            // Digits of the fraction in b, c and d (written as conditionals: `min` and `max` were calls).
            let fb = f < 8 ? f : 8, fc = f < 8 ? 0 : f < 16 ? f &- 8 : 8, fd = f < 16 ? 0 : f &- 16
            w = w &* power10(fb) &+ padded(b, fb)
            w = w &* power10(fc) &+ padded(c, fc)
            w = w &* power10(fd) &+ padded(d, fd)
            q = q &+ 1 &+ f
        }
        // No digit at all, past the field, or an exponent: `general`'s.
        guard k &+ f > 0, q <= end, q == end || p[q] | 0x20 != 0x65 else { return nil }
        let v: Double
        if w == 0 {
            v = negative ? -0.0 : 0.0
        } else if let c = clinger(w, -f) {
            v = negative ? -c : c
        } else if let e = EiselLemire.value(w, -f, negative: negative) {
            v = e
        } else {
            return nil   // `general` meets the same undecided product
        }
        i = q
        return v
    }

    /// Eight bytes at `p`, the first one lowest.
    @inline(always)
    static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(p).loadUnaligned(as: UInt64.self).littleEndian
    }

    /// The value of the first `run` (0...8) bytes of `v`, all digits: shifted to the top and padded
    /// below with ASCII zeros (the same number, eight digits long); 0 for an empty run.
    @inline(always)
    static func padded(_ v: UInt64, _ run: Int) -> UInt64 {
        // Shifts of 64 give 0 (Swift's `<<` and `>>` on a full-width amount), so run 0 and 8 need no branch.
        eightDigitsValue(v << UInt64(8 &* (8 &- run)) | 0x3030_3030_3030_3030 >> UInt64(8 &* run))
    }

    /// 10^k for k in 0...8.
    @inline(always)
    static func power10(_ k: Int) -> UInt64 {
        k == 0 ? 1 : smallPower(k)
    }

    /// `scan` by runs of digits: every shape `parse` accepts. Not inlined: with `plain` and it both
    /// inlined, the CSV reader's loop outgrew the inliner's budget and `min`, `loadUnaligned` and
    /// `littleEndian` became calls (perf, 2026-12-04); `plain` reads nearly every field.
    @inline(never)
    static func general(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, readable: Int) -> Double? {
        guard i < end else { return nil }
        var negative = false
        if p[i] == 0x2D { negative = true; i += 1 } else if p[i] == 0x2B { i += 1 }
        var w: UInt64 = 0
        var significant = 0      // digits in w, counted from the first non-zero one
        var mantissaDigits = 0   // all mantissa digits, zeros included
        var scale = 0            // digits after the point (they divide w)
        guard let whole = digits(p, &i, end, readable, &w, &significant) else { return nil }
        mantissaDigits += whole
        if i < end, p[i] == 0x2E {
            i += 1
            guard let fraction = digits(p, &i, end, readable, &w, &significant) else { return nil }
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
        if w == 0 { return negative ? -0.0 : 0.0 }
        let e = exponent - scale
        if let v = clinger(w, e) { return negative ? -v : v }
        return EiselLemire.value(w, e, negative: negative)
    }

    /// Reads the run of digits at `p[i...]` (before `end`) into `w`: how many digits there were, or
    /// nil past 19 significant ones. Where eight bytes can be loaded (before `readable`), a run is
    /// read eight bytes at a time, a run shorter than eight (`-3.141593`'s 3 and 141593) in one
    /// load too: the bytes before the first non-digit, shifted up and padded with leading zeros.
    @inline(always)
    static func digits(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, _ readable: Int, _ w: inout UInt64, _ significant: inout Int) -> Int? {
        let start = i
        while i + 8 <= readable {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).littleEndian
            let run = min(leadingDigits(v), end - i)
            if run == 8 {
                guard take(eightDigitsValue(v), 8, &w, &significant) else { return nil }
                i += 8
                continue
            }
            if run > 0 {
                // The run in the top bytes, ASCII zeros below it: the same number, eight digits long.
                let shift = UInt64(8 * (8 - run))
                guard take(eightDigitsValue(v << shift | 0x3030_3030_3030_3030 >> UInt64(8 * run)), run, &w, &significant) else { return nil }
                i += run
            }
            return i - start
        }
        while i < end, p[i] &- 0x30 < 10 {
            let d = UInt64(p[i] &- 0x30)
            if significant > 0 || d != 0 { significant += 1; guard significant <= 19 else { return nil }; w = w &* 10 &+ d }
            i += 1
        }
        return i - start
    }

    /// How many of the 8 bytes of `v` (little-endian: the first byte lowest) are ASCII digits
    /// before the first one that is not (8 when all are). A byte b is a digit when its high nibble
    /// is 3 and b + 6 keeps it 3 (Lemire 2021, section 4; fast_float's `is_made_of_eight_digits_fast`);
    /// a carry out of a byte >= 0xFA can only spoil bytes after it, which are past the run.
    @inline(always)
    static func leadingDigits(_ v: UInt64) -> Int {
        let notDigits = ((v & 0xF0F0_F0F0_F0F0_F0F0) | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)) ^ 0x3333_3333_3333_3333
        return notDigits == 0 ? 8 : notDigits.trailingZeroBitCount >> 3
    }

    /// The value of 8 ASCII digits loaded little-endian into `v`: a few multiplications instead of 8
    /// dependent multiply-adds (Lemire 2021, section 4; fast_float's `parse_eight_digits_unrolled`).
    @inline(always)
    static func eightDigitsValue(_ v: UInt64) -> UInt64 {
        var d = v &- 0x3030_3030_3030_3030
        d = d &* 10 &+ (d >> 8)                              // pairs: byte 2k holds digits 2k, 2k+1 as a number < 100
        let lo = (d & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
        let hi = ((d >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))
        return (lo &+ hi) >> 32
    }

    /// Appends `count` (1...8) digits worth `block` to `w`, counting significant digits from the
    /// first non-zero one as the digit loop does; false when that passes 19 (w would no longer be exact).
    @inline(always)
    static func take(_ block: UInt64, _ count: Int, _ w: inout UInt64, _ significant: inout Int) -> Bool {
        if significant > 0 {
            significant += count
            guard significant <= 19 else { return false }
            w = w &* smallPower(count) &+ block
        } else if block != 0 {
            // w is 0: the significant digits are block's own (its leading zeros are not).
            significant = decimalDigits(block)
            w = block
        }
        return true
    }

    /// The number of decimal digits of 0 < x < 10^8, by comparisons (a loop dividing by ten was 8%
    /// of reading numbers like 0.58488931268581623, whose first eight digits follow a zero).
    @inline(always)
    static func decimalDigits(_ x: UInt64) -> Int {
        if x >= 10_000 {
            if x >= 1_000_000 { return x >= 10_000_000 ? 8 : 7 }
            return x >= 100_000 ? 6 : 5
        }
        if x >= 100 { return x >= 1_000 ? 4 : 3 }
        return x >= 10 ? 2 : 1
    }

    /// 10^k for k in 1...8 (a switch, not a global array: no lazy-initialisation check per call).
    @inline(always)
    static func smallPower(_ k: Int) -> UInt64 {
        switch k {
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        default: return 100_000_000
        }
    }

    /// 10^e for e in 0...22, exactly (each is a Double: 10^22 = 2^22 x 5^22 and 5^22 < 2^53). A
    /// switch rather than a global array: the array's lazy initialisation cost a `swift_once`
    /// check per number, 6% of the read in a profile.
    @inline(always)
    static func power(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// Clinger's exact product or quotient for w x 10^e (w > 0), or nil when w or e is out of its range.
    @inline(always)
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
        return e >= 0 ? Double(w) * power(e) : Double(w) / power(-e)
    }
}
