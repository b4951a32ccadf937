import Testing
@testable import LoomCore

@Suite struct DigestTests {
    /// Hex in and out, both cases, against a byte-wise reference; any non-digit anywhere is refused.
    @Test func hexRoundTripAndRejection() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let d = Digest(bytes: bytes)
            let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
            #expect(d.hex == hex && d.bytes == bytes)
            #expect(Digest(hex: hex) == d && Digest(hex: hex.uppercased()) == d)
            var appended: [UInt8] = [1]
            d.appendHex(to: &appended)
            #expect(appended == [1] + Array(hex.utf8))
            let position = Int.random(in: 0..<64, using: &rng)
            for bad in ["g", "G", "/", ":", "@", "`", " ", "\u{e9}"] {
                var chars = Array(hex)
                chars[position] = Character(bad)
                #expect(Digest(hex: String(chars)) == nil, "\(bad) at \(position)")
            }
        }
        #expect(Digest(hex: String(repeating: "a", count: 63)) == nil && Digest(hex: String(repeating: "a", count: 65)) == nil)
    }

    /// Loading from memory at any alignment (how binary caches read digests) is `init(bytes:)`.
    @Test func loadingEqualsBytes() {
        var rng = SystemRandomNumberGenerator()
        for offset in 0..<9 {
            let bytes = (0..<(32 + offset)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let loaded = bytes.withUnsafeBytes { Digest(loading: $0.baseAddress! + offset) }
            #expect(loaded == Digest(bytes: bytes[offset...]) && loaded.bytes == Array(bytes[offset...]))
        }
    }

    @Test func orderIsByteOrder() {
        let a = Digest(bytes: [0] + Array(repeating: 255, count: 31)), b = Digest(bytes: [1] + Array(repeating: 0, count: 31))
        #expect(a < b && !(b < a))
        let c = Digest(bytes: Array(repeating: 7, count: 31) + [9]), e = Digest(bytes: Array(repeating: 7, count: 31) + [10])
        #expect(c < e)
    }
}
