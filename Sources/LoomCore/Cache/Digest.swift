import Crypto

/// SHA-256 of content: a file, a tree listing. Written as 64 lowercase hex digits.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    // Four big-endian words, stored inline: a digest is made, compared and hashed thousands of
    // times per run (keys, artifacts, build state), and an array would allocate each time.
    private let w0, w1, w2, w3: UInt64

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for (k, w) in [w0, w1, w2, w3].enumerated() { for b in 0..<8 { out[8 * k + b] = UInt8(truncatingIfNeeded: w >> (56 - 8 * UInt64(b))) } }
        return out
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

    /// The digest of some bytes.
    public init(of data: [UInt8]) { self = SHA256.hash(data: data).withUnsafeBytes { Digest(bytes: $0) } }

    public init(of text: String) { self.init(of: Array(text.utf8)) }

    /// Parses 64 hex digits; nil otherwise.
    public init?(hex: String) {
        var s = hex
        guard let d = s.withUTF8({ (u: UnsafeBufferPointer<UInt8>) in Digest(hexUTF8: u) }) else { return nil }
        self = d
    }

    /// Parses 64 hex digits given as UTF-8 bytes (a field of a file being read); nil otherwise.
    public init?(hexUTF8 u: UnsafeBufferPointer<UInt8>) {
        guard u.count == 64 else { return nil }
        func word(_ at: Int) -> UInt64? {
            var x: UInt64 = 0
            for j in at..<(at + 16) {
                guard let v = Hex.nibble(u[j]) else { return nil }
                x = x << 4 | UInt64(v)
            }
            return x
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
            var i = 0
            for w in [w0, w1, w2, w3] {
                for k in stride(from: 60, through: 0, by: -4) { buf[i] = Hex.digit(UInt8((w >> UInt64(k)) & 15)); i += 1 }
            }
            out.append(contentsOf: UnsafeBufferPointer(buf))
        }
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 64) { out in
            var i = 0
            for w in [w0, w1, w2, w3] {
                for k in stride(from: 60, through: 0, by: -4) { out[i] = Hex.digit(UInt8((w >> UInt64(k)) & 15)); i += 1 }
            }
            return 64
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

enum Hex {
    /// The lowercase hex digit of a value below 16.
    @inline(__always) static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    @inline(__always) static func nibble(_ c: UInt8) -> UInt8? {
        let d = c &- 0x30
        if d < 10 { return d }
        let l = (c | 0x20) &- 0x61
        return l < 6 ? l + 10 : nil
    }
}
