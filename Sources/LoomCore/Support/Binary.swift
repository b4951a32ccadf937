/// A length-prefixed binary encoding for Loom's own caches (graphs, no-op memos): files only Loom
/// reads, where decoding speed matters and JSON's dictionaries and number parsing do not pay off.
/// Integers are LEB128 varints (zigzag for sign: most lengths and indices take one byte), doubles
/// their 8 bit-pattern bytes little-endian, digests their 32 bytes. Every file starts with a
/// format string; any mismatch or truncation reads as nil.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    init(format: String) { string(format) }

    mutating func int(_ v: Int) {
        var z = UInt64(bitPattern: Int64(v) << 1 ^ Int64(v) >> 63)   // zigzag: small magnitudes, few bytes
        while z >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: z) | 0x80)
            z >>= 7
        }
        bytes.append(UInt8(z))
    }
    mutating func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    mutating func byte(_ v: UInt8) { bytes.append(v) }
    mutating func string(_ s: String) {
        int(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }
    mutating func digest(_ d: Digest) { d.append(to: &bytes) }
    mutating func strings(_ a: [String]) {
        int(a.count)
        for s in a { string(s) }
    }
    /// A map of strings, keys in byte order (equal maps give equal bytes).
    mutating func stringMap(_ m: [String: String]) {
        int(m.count)
        for k in m.keys.sorted(by: JSON.byteOrder) { string(k); string(m[k]!) }
    }
    mutating func optional<T>(_ v: T?, _ write: (inout BinaryWriter, T) -> Void) {
        bool(v != nil)
        if let v { write(&self, v) }
    }
}

struct BinaryReader {
    private let bytes: [UInt8]
    private var i = 0

    /// Nil unless the bytes start with `format`.
    init?(_ bytes: [UInt8], format: String) {
        self.bytes = bytes
        guard string() == format else { return nil }
    }

    var atEnd: Bool { i == bytes.count }

    mutating func int() -> Int? {
        var z: UInt64 = 0, shift: UInt64 = 0
        while i < bytes.count, shift < 64 {
            let b = bytes[i]
            i += 1
            z |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return Int(Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)) }
            shift += 7
        }
        return nil
    }
    /// A count of items that each take at least one byte: bounded by what is left.
    mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= bytes.count - i else { return nil }
        return n
    }
    mutating func double() -> Double? {
        guard i + 8 <= bytes.count else { return nil }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
        i += 8
        return Double(bitPattern: v)
    }
    mutating func byte() -> UInt8? {
        guard i < bytes.count else { return nil }
        defer { i += 1 }
        return bytes[i]
    }
    mutating func bool() -> Bool? { byte().flatMap { $0 <= 1 ? $0 == 1 : nil } }
    mutating func string() -> String? {
        guard let n = count() else { return nil }
        defer { i += n }
        return String(decoding: bytes[i..<(i + n)], as: UTF8.self)
    }
    mutating func digest() -> Digest? {
        guard i + 32 <= bytes.count else { return nil }
        defer { i += 32 }
        return bytes.withUnsafeBytes { Digest(loading: $0.baseAddress! + i) }
    }
    mutating func strings() -> [String]? {
        guard let n = count() else { return nil }
        var a: [String] = []
        a.reserveCapacity(n)
        for _ in 0..<n { guard let s = string() else { return nil }; a.append(s) }
        return a
    }
    mutating func stringMap() -> [String: String]? {
        guard let n = count() else { return nil }
        var m: [String: String] = [:]
        for _ in 0..<n { guard let k = string(), let v = string() else { return nil }; m[k] = v }
        return m
    }
    /// Nil: unreadable; .some(nil): absent.
    mutating func optional<T>(_ read: (inout BinaryReader) -> T?) -> T?? {
        guard let present = bool() else { return nil }
        guard present else { return .some(nil) }
        guard let v = read(&self) else { return nil }
        return .some(v)
    }
}
