import Foundation
import Testing
@testable import LoomAnalytics

/// `DecimalParser` against the reference (`CSV.number`, i.e. Swift's `Double(String)`): whenever
/// the fast path gives a value, the reference gives the same bits.
@Suite struct DecimalParserTests {
    static func fast(_ s: String) -> Double? {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { b in b.baseAddress.flatMap { DecimalParser.parse($0, 0, b.count) } }
    }

    /// `scan` as the CSV reader calls it: `s` then `tail` in memory, the field ending where `s`
    /// does (at `end`, the line's end, or at a comma in `tail`), eight-byte loads allowed to the end
    /// of the bytes: the value when `scan` stops exactly after `s`, else nil.
    static func scanned(_ s: String, tail: String, endsAtComma: Bool) -> Double? {
        let bytes = Array((s + tail).utf8), n = s.utf8.count
        return bytes.withUnsafeBufferPointer { b -> Double? in
            guard let p = b.baseAddress else { return nil }
            var i = 0
            guard let v = DecimalParser.scan(p, &i, endsAtComma ? b.count : n, readable: b.count), i == n else { return nil }
            return v
        }
    }

    /// Digits and commas after a field, which `scan` may load but must never read as the number's;
    /// each also followed by 48 bytes more, so that `scan` takes its `plain` step (40 bytes readable).
    static let tails = ["", "9", "12345678", ",", ",9", ",12345678901234567", "\n1234567", "\r\n98765432"].flatMap {
        [$0, $0 + String(repeating: "7", count: 48)]
    }

    /// Returns whether the fast path decided `s`; fails the test when it disagrees with the reference,
    /// or when `scan` with bytes after the field (the CSV reader's call) decides it differently.
    @discardableResult
    static func check(_ s: String) -> Bool {
        let parsed = fast(s)
        if !s.contains(",") {
            for tail in tails {
                let v = scanned(s, tail: tail, endsAtComma: tail.hasPrefix(","))
                #expect(v?.bitPattern == parsed?.bitPattern, "\(s) before \(tail.debugDescription): scan \(String(describing: v)), parse \(String(describing: parsed))")
            }
        }
        guard let v = parsed else { return false }
        let reference = CSV.number(s)
        #expect(reference?.bitPattern == v.bitPattern, "\(s): fast \(v), reference \(String(describing: reference))")
        return true
    }

    static let edgeCases = [
        "0", "-0", "+0", "-0.0", "0.", ".0", "-.0e5", "0e0", "0e999999", "-0e-999999", "00000", "000.000",
        "1", "+1", "-1", "1.", ".5", "-.5e1", "5e-1", "1.5E3", "1.5e+3", "1.5e-3", "2.5e20", "1e-05",
        "1e22", "1e23", "1e-22", "1e-23", "9e37", "9e38", "123e30", "9007199254740992", "9007199254740993",
        "9007199254740991e22", "9007199254740992e-22", "4.9e-324", "5e-324", "2.2250738585072014e-308",
        "2.2250738585072011e-308", "1.7976931348623157e308", "1.7976931348623159e308", "1e308", "1e309", "1e-400",
        "1234567890123456789", "12345678901234567890", "0.1234567890123456789", "0.12345678901234567890",
        "00000000000000000000000001", "0.000000000000000000000000001", "1000000000000000000000",
        "0.1", "0.2", "0.3", "1.1", "2.675", "3.141592653589793", "-3.141593", "123456.789", "1e0", "1e-0",
        "1e", "1e+", "1e-", "e5", ".", "-", "+", "", "+-1", "--1", "1..2", "1.2.3", "1e5.5", "1e1e1",
        "0x1p3", "0x10", "inf", "+inf", "-inf", "Infinity", "-infinity", "nan", "-nan", "NaN", " 1", "1 ", "1,2",
        "1_000", "١", "1e0000001", "1e000022", "0.0000000000000000000001e22",
    ]

    @Test func edgeCasesAgreeWithTheReference() {
        for s in Self.edgeCases { Self.check(s) }
        // The fast path must decide the common shapes, or the reader is slow.
        for s in ["0", "-0", "1.5", "-3.141593", "1e-05", "2.5e20", "123456.789", "9007199254740992"] { #expect(Self.fast(s) != nil, "\(s)") }
        #expect(Self.fast("-0")?.sign == .minus)
    }

    /// Random strings of the decimal grammar (and near misses), 200,000 of them.
    @Test func randomDecimalsAgreeWithTheReference() {
        var rng = SeededRandom(seed: 12)
        var decided = 0
        let digits = Array("0123456789")
        func digitString(_ n: Int) -> String { String((0..<n).map { _ in digits[rng.int(below: 10)] }) }
        for _ in 0..<200_000 {
            var s = ["", "-", "+"][rng.int(below: 3)]
            if rng.bernoulli(0.2) { s += String(repeating: "0", count: rng.int(below: 4)) }
            s += digitString(rng.int(below: rng.bernoulli(0.7) ? 8 : 22))
            if rng.bernoulli(0.7) { s += "." + digitString(rng.int(below: rng.bernoulli(0.7) ? 8 : 22)) }
            if rng.bernoulli(0.4) {
                s += ["e", "E"][rng.int(below: 2)] + ["", "-", "+"][rng.int(below: 3)]
                s += String(rng.int(below: rng.bernoulli(0.8) ? 30 : 400))
            }
            if rng.bernoulli(0.02) { s += ["x", " ", ".", "e"][rng.int(below: 4)] }
            if Self.check(s) { decided += 1 }
        }
        #expect(decided > 100_000)
    }

    /// Random Doubles (every exponent, subnormals included) in the shortest round-trip form CSV
    /// writes, and printed with 1-17 significant digits as other tools write them.
    @Test func randomDoublesAgreeWithTheReference() {
        var rng = SeededRandom(seed: 13)
        var decided = 0
        for k in 0..<100_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            Self.check(d.description)
            Self.check(CSV.format(d))
            let scaled = (rng.uniform() - 0.5) * pow(10, Double(rng.int(below: 40) - 20))
            if Self.check(String(format: "%.\(1 + k % 17)g", scaled)) { decided += 1 }
            if Self.check(String(format: "%.\(k % 9)f", scaled)) { decided += 1 }
            Self.check(String(format: "%.\(k % 20)e", d))
        }
        #expect(decided > 100_000)
    }

    /// What Loom itself writes (`Double.description`, up to 17 significant digits, so w > 2^53 for
    /// most values) is decided by the Eisel-Lemire step, not only left to the reference.
    @Test func shortestRoundTripFormsAreDecided() {
        var rng = SeededRandom(seed: 14)
        var decided = 0, normal = 0
        for _ in 0..<200_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isNormal else { continue }
            normal += 1
            if Self.check(d.description) { decided += 1 }
            let unit = rng.uniform() * 20 - 10          // the benchmark tables' range
            #expect(Self.check(unit.description), "\(unit.description) not decided")
        }
        // Only exponents beyond the Clinger range that print as 19+ digits, and the few products
        // too close to a rounding boundary, go to the reference.
        #expect(Double(decided) > 0.99 * Double(normal))
    }

    /// The significant digits of a Float80 description and the exponent of their last one.
    static func digitsAndExponent(_ s: String) -> (String, Int)? {
        // Float80.description: [-]d.ddd[e[+-]x] or [-]ddd.ddd
        var body = s, exponent = 0
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(body[body.index(after: e)...]) else { return nil }
            exponent = x
            body = String(body[..<e])
        }
        if body.hasPrefix("-") { body.removeFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        exponent -= fraction.count
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst() }
        return (digits, exponent)
    }

    /// Strings at or within a hair of the exact midpoint between two adjacent Doubles, where a
    /// truncated 128-bit power of ten cannot always decide: Eisel-Lemire must give up (nil) or be
    /// right. Midpoints are exact in Float80; their digits are cut to 19 significant digits and
    /// nudged one unit in the last digit either way. Integers 2^53 + odd are exactly half-way.
    @Test func nearHalfwayDecimalsAgreeWithTheReference() {
        var rng = SeededRandom(seed: 15)
        var tried = 0
        for _ in 0..<100_000 {
            let d = Double(bitPattern: rng.next() & ~(1 << 63))
            guard d.isNormal, d.nextUp.isFinite else { continue }
            let mid = (Float80(d) + Float80(d.nextUp)) / 2
            guard let parsed = Self.digitsAndExponent(mid.description) else { continue }
            let (digits, exponent) = parsed
            let cut = String(digits.prefix(19)), e = exponent + digits.count - cut.count
            guard let w = UInt64(cut) else { continue }
            for v in [w, w &+ 1, w &- 1] where v > 0 {
                Self.check("\(v)e\(e)")
                Self.check("-\(v)e\(e)")
                tried += 1
            }
        }
        for k in 0..<20_000 {
            let odd = (UInt64(1) << 53) + 2 * UInt64(rng.int(below: 1 << 30)) + 1
            Self.check(String(odd))
            Self.check(String(odd << UInt64(k % 11)))
        }
        #expect(tried > 100_000)
    }

    /// Every power of ten the table covers, and its neighbours, at 1 and 19 digits.
    @Test func everyTablePowerAgreesWithTheReference() {
        for e in EiselLemire.minExponent...EiselLemire.maxExponent {
            for w in ["1", "9", "5", "1234567890123456789", "9999999999999999999", "4503599627370497"] {
                Self.check("\(w)e\(e)")
            }
        }
    }

    /// The 8-digits-at-once step: runs of 8 to 24 digits with leading zeros, and with one byte
    /// replaced by a neighbour of the digits in ASCII ('/' and ':'), by a point or by a letter,
    /// must be decided as the reference decides them, or left to it.
    @Test func eightDigitBlocksAgreeWithTheReference() {
        var rng = SeededRandom(seed: 16)
        var decided = 0
        for _ in 0..<100_000 {
            var chars = Array(String(repeating: "0", count: rng.int(below: 10)))
            chars += (0..<(8 + rng.int(below: 17))).map { _ in Character(String(rng.int(below: 10))) }
            if rng.bernoulli(0.5) { chars.insert(".", at: rng.int(below: chars.count + 1)) }
            if rng.bernoulli(0.3) { chars[rng.int(below: chars.count)] = ["/", ":", ".", "a", "e"][rng.int(below: 5)] }
            if Self.check((rng.bernoulli(0.3) ? "-" : "") + String(chars)) { decided += 1 }
        }
        #expect(decided > 50_000)
    }

    /// `plain` against `general` on bytes as the CSV reader has them (the field, then a comma and
    /// more fields or a line's end, then more bytes): whenever `plain` gives a value, `general` gives
    /// the same bits and stops at the same byte; when it gives none, `i` is left where it was.
    /// Returns whether `plain` decided the field.
    @discardableResult
    static func plainMatchesGeneral(_ field: String, endsAtComma: Bool) -> Bool {
        let after = endsAtComma ? ",12345678901234567,-0.5" : "\r\n-1.25,3"
        let bytes = Array((field + after).utf8) + [UInt8](repeating: UInt8(ascii: "7"), count: 48)
        let end = endsAtComma ? bytes.count - 48 : field.utf8.count
        return bytes.withUnsafeBufferPointer { b -> Bool in
            guard let p = b.baseAddress else { return false }
            var i = 0, j = 0
            guard let v = DecimalParser.plain(p, &i, end) else {
                #expect(i == 0, "\(field): plain moved i without a value")
                return false
            }
            let g = DecimalParser.general(p, &j, end, readable: b.count)
            #expect(g?.bitPattern == v.bitPattern && j == i,
                    "\(field): plain \(v) to \(i), general \(String(describing: g)) to \(j)")
            return true
        }
    }

    /// Random fields of `plain`'s shape and near it: signs, 0-9 integer digits (leading zeros
    /// too), a point, 0-24 fraction digits, sometimes an exponent or a stray byte, before a comma or
    /// a line's end: `plain` equals `general`, and `scan` (through `check`) equals the reference.
    @Test func plainStepAgreesWithTheGeneralOne() {
        var rng = SeededRandom(seed: 17)
        var decided = 0
        func digitString(_ n: Int) -> String { String((0..<n).map { _ in Character(String(rng.int(below: 10))) }) }
        for _ in 0..<200_000 {
            var s = ["", "-", "+"][rng.int(below: 3)]
            if rng.bernoulli(0.2) { s += String(repeating: "0", count: rng.int(below: 4)) }
            s += digitString(rng.int(below: rng.bernoulli(0.8) ? 3 : 10))
            if rng.bernoulli(0.85) { s += "." + digitString(rng.int(below: rng.bernoulli(0.8) ? 20 : 25)) }
            if rng.bernoulli(0.1) { s += ["e", "E"][rng.int(below: 2)] + ["", "-", "+"][rng.int(below: 3)] + String(rng.int(below: 40)) }
            if rng.bernoulli(0.05) { s += ["x", " ", ".", "e", "/", ":"][rng.int(below: 6)] }
            if Self.plainMatchesGeneral(s, endsAtComma: rng.bernoulli(0.5)) { decided += 1 }
            if rng.bernoulli(0.25) { Self.check(s) }
        }
        #expect(decided > 100_000)
        // The benchmark tables' shapes are plain's.
        for s in ["0.58488931268581623", "-1.7971044852075218", "0.670670363211884", "-3.141593", "1", "0", "-0.0", "12.5"] {
            #expect(Self.plainMatchesGeneral(s, endsAtComma: true), "\(s)")
        }
    }

    /// Random 17-19 digit mantissas, positional (as numpy's `%.17g` and Loom write them) and with
    /// exponents across the whole range (subnormals, overflow, the table's ends), and Doubles'
    /// exact midpoints cut to 17-19 digits and nudged one unit, written positionally: where a
    /// 17-digit number's rounding is hardest, in the shape `plain` reads.
    @Test func longMantissasAgreeWithTheReference() {
        var rng = SeededRandom(seed: 18)
        func positional(_ digits: String, _ exponent: Int) -> String {
            // digits x 10^exponent, written without an exponent.
            if exponent >= 0 { return digits + String(repeating: "0", count: exponent) }
            let n = digits.count, point = n + exponent
            if point > 0 { return String(digits.prefix(point)) + "." + String(digits.dropFirst(point)) }
            return "0." + String(repeating: "0", count: -point) + digits
        }
        var decided = 0
        for _ in 0..<100_000 {
            let n = 17 + rng.int(below: 3)
            let digits = String(1 + rng.int(below: 9)) + String((1..<n).map { _ in Character(String(rng.int(below: 10))) })
            let sign = rng.bernoulli(0.5) ? "-" : ""
            Self.check(sign + digits + "e" + String(rng.int(below: 700) - 360))
            let s = sign + positional(digits, -(n - 1 - rng.int(below: 4)))   // 1-4 integer digits
            if Self.check(s) { decided += 1 }
            Self.plainMatchesGeneral(s, endsAtComma: true)
        }
        #expect(decided > 90_000)
        var halfway = 0
        for _ in 0..<100_000 {
            let d = rng.uniform() * pow(10, Double(rng.int(below: 10) - 3))
            guard d.isNormal else { continue }
            let mid = (Float80(d) + Float80(d.nextUp)) / 2
            // The midpoint's digits (up to 21, Float80's round-trip form) cut to 17-19.
            guard let (all, exponent) = Self.digitsAndExponent(mid.description) else { continue }
            let n = 17 + rng.int(below: 3)
            guard let w = UInt64(String(all.prefix(n))) else { continue }
            let e = exponent + all.count - min(n, all.count)
            for v in [w, w &+ 1, w &- 1] where v > 0 {
                let s = positional(String(v), e)
                Self.check(s)
                if Self.plainMatchesGeneral(s, endsAtComma: false) { halfway += 1 }
            }
        }
        #expect(halfway > 100_000)
    }
}
