import Crypto

/// SHA-256 of content: a file, a tree listing. Written as 64 lowercase hex digits.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a digest has 32 bytes")
        self.bytes = bytes
    }

    /// The digest of some bytes.
    public init(of data: [UInt8]) { self.init(bytes: Array(SHA256.hash(data: data))) }

    public init(of text: String) { self.init(of: Array(text.utf8)) }

    /// Parses 64 hex digits; nil otherwise.
    public init?(hex: String) {
        guard let b = Hex.decode(hex), b.count == 32 else { return nil }
        bytes = b
    }

    /// Parses 64 hex digits given as UTF-8 bytes (a field of a file being read); nil otherwise.
    public init?<C: Collection>(hexUTF8 u: C) where C.Element == UInt8 {
        guard u.count == 64 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        var i = 0, high: UInt8 = 0
        for c in u {
            guard let v = Hex.nibble(c) else { return nil }
            if i % 2 == 0 { high = v } else { out[i / 2] = high << 4 | v }
            i += 1
        }
        bytes = out
    }

    public var hex: String { Hex.encode(bytes) }
    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
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
    static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 15)]
            }
            return bytes.count * 2
        }
    }

    @inline(__always) static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    static func decode(_ s: String) -> [UInt8]? {
        var s = s
        return s.withUTF8 { u -> [UInt8]? in
            guard u.count % 2 == 0 else { return nil }
            var out = [UInt8](repeating: 0, count: u.count / 2)
            for i in 0..<out.count {
                guard let h = nibble(u[2 * i]), let l = nibble(u[2 * i + 1]) else { return nil }
                out[i] = h << 4 | l
            }
            return out
        }
    }
}
