import Dispatch

/// SHA-256 of content: a file, a tree listing. Written as 64 lowercase hex digits.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    // Four big-endian words, stored inline: a digest is made, compared and hashed thousands of
    // times per run (keys, artifacts, build state), and an array would allocate each time.
    private let w0, w1, w2, w3: UInt64

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        append(to: &out)
        return out
    }

    /// Appends the 32 bytes to `out` (a memo of 1,000 entries wrote 3,000 digests through
    /// `bytes`, an array each: 0.8 ms of a one-input rebuild's CPU).
    public func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { out.append(contentsOf: $0) }
    }

    public init<C: Collection>(bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 32, "a digest has 32 bytes")
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for (i, b) in bytes.enumerated() {
            switch i / 8 {
            case 0: w.0 = w.0 << 8 | UInt64(b)
            case 1: w.1 = w.1 << 8 | UInt64(b)
            case 2: w.2 = w.2 << 8 | UInt64(b)
            default: w.3 = w.3 << 8 | UInt64(b)
            }
        }
        (w0, w1, w2, w3) = w
    }

    /// The 32 bytes at `p`, as `init(bytes:)` reads them, without a copy (a memo or a graph cache
    /// holds thousands of digests, read on every run).
    init(loading p: UnsafeRawPointer) {
        w0 = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        w1 = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w2 = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w3 = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// The digest of some bytes.
    public init(of data: [UInt8]) { self = data.withUnsafeBytes { SHA256Hasher.hash($0) } }

    public init(of text: String) { self.init(of: Array(text.utf8)) }

    /// Parses 64 hex digits; nil otherwise.
    public init?(hex: String) {
        var s = hex
        guard let d = s.withUTF8({ (u: UnsafeBufferPointer<UInt8>) in Digest(hexUTF8: u) }) else { return nil }
        self = d
    }

    /// Parses 64 hex digits given as UTF-8 bytes (a field of a file being read); nil otherwise.
    /// Eight digits at a time (a build state holds two digests per task, read on every run).
    public init?(hexUTF8 u: UnsafeBufferPointer<UInt8>) {
        guard u.count == 64, let base = u.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        func word(_ at: Int) -> UInt64? {
            guard let hi = Hex.eight(raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)),
                  let lo = Hex.eight(raw.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)) else { return nil }
            return UInt64(hi) << 32 | UInt64(lo)
        }
        guard let a = word(0), let b = word(16), let c = word(32), let d = word(48) else { return nil }
        (w0, w1, w2, w3) = (a, b, c, d)
    }

    public init?<C: Collection>(hexUTF8 u: C) where C.Element == UInt8 {
        guard let d = Array(u).withUnsafeBufferPointer({ Digest(hexUTF8: $0) }) else { return nil }
        self = d
    }

    /// Appends the 64 hex digits to `out`.
    public func appendHex(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buf in
            writeHex(into: buf)
            out.append(contentsOf: UnsafeBufferPointer(buf))
        }
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { out in
            writeHex(into: out)
            return 64
        }
    }

    /// The 64 lowercase hex digits into `out` (at least 64 bytes), eight at a time (a run record
    /// writes two digests per task).
    private func writeHex(into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count >= 64)
        let raw = UnsafeMutableRawPointer(out.baseAddress!)
        for (k, w) in [w0, w1, w2, w3].enumerated() {
            raw.storeBytes(of: Hex.eightDigits(UInt32(truncatingIfNeeded: w >> 32)), toByteOffset: 16 * k, as: UInt64.self)
            raw.storeBytes(of: Hex.eightDigits(UInt32(truncatingIfNeeded: w)), toByteOffset: 16 * k + 8, as: UInt64.self)
        }
    }
    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }
}

/// SHA-256 of a task's `KeyManifest`: everything that can change its output. A distinct type from
/// `Digest` (same size) so that a key can never be used where an artifact digest is meant.
public struct CacheKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let digest: Digest
    public init(_ digest: Digest) { self.digest = digest }
    public init?(hex: String) { guard let d = Digest(hex: hex) else { return nil }; digest = d }
    public var hex: String { digest.hex }
    public var short: String { digest.short }
    public var description: String { digest.hex }
    public static func < (a: CacheKey, b: CacheKey) -> Bool { a.digest < b.digest }
}

public enum Hex {
    /// Two lowercase hex digits per byte.
    public static func lowercase(_ bytes: ArraySlice<UInt8>) -> String {
        var hex = [UInt8]()
        hex.reserveCapacity(2 * bytes.count)
        for b in bytes {
            hex.append(digit(b >> 4))
            hex.append(digit(b & 15))
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The lowercase hex digit of a value below 16.
    @inline(__always) static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// The eight lowercase hex digits of `x`, as bytes to store in memory order (the most
    /// significant digit first). SWAR: one nibble per byte lane, then '0' or 'a' added per lane.
    @inline(__always) static func eightDigits(_ x: UInt32) -> UInt64 {
        var v = UInt64(x)
        // Spread the nibbles so that lane i (from the most significant) holds nibble i.
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        let letters = ((v &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101   // 1 in lanes above 9
        v = v &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        return UInt64(bigEndian: v)
    }

    /// The value of eight hex digits (ASCII, first digit in the lowest byte as loaded from memory
    /// on a little-endian machine), or nil if any is not a hex digit. SWAR: all eight lanes at once.
    @inline(__always) static func eight(_ loaded: UInt64) -> UInt32? {
        let x = UInt64(littleEndian: loaded)
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        guard x & high == 0 else { return nil }
        // For bytes below 0x80, adding (0x80 - lo) sets the lane's top bit iff byte >= lo, with no
        // carry into the next lane; adding (0x7F - hi) sets it iff byte > hi.
        func within(_ v: UInt64, _ lo: UInt64, _ hi: UInt64) -> UInt64 {
            (v &+ (0x80 - lo) &* ones) & ~(v &+ (0x7F - hi) &* ones) & high
        }
        let digits = within(x, 0x30, 0x39)
        let letters = within(x | (0x20 &* ones), 0x61, 0x66)
        guard digits | letters == high else { return nil }
        // Lane values: the low nibble, plus 9 for letters ('a' = 0x61 -> 1 + 9).
        var v = (x & (0x0F &* ones)) &+ (letters >> 7) &* 9
        // Lane 0 (first digit) becomes the most significant nibble.
        v = v.byteSwapped
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: v)
    }
}
