import Testing
import Crypto
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

/// `SHA256Hasher` calls BoringSSL's C functions directly; it must give swift-crypto's `SHA256`
/// digests byte for byte, however the input is cut into updates.
@Suite struct SHA256HasherTests {
    /// FIPS 180-2's examples (appendix B) and the empty string.
    @Test func knownAnswers() {
        #expect(Digest(of: "").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest(of: "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var h = SHA256Hasher()
        let block = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(block) }
        #expect(h.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Seeded random inputs of 0 to 5,000 bytes, split into random updates (empty ones too),
    /// against swift-crypto's `SHA256` in one call.
    @Test func agreesWithSwiftCrypto() {
        var rng = DifferentialTests.Rand(state: 180_2)
        for _ in 0..<300 {
            let bytes = (0..<rng.int(5_001)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let reference = SHA256.hash(data: bytes).withUnsafeBytes { Digest(bytes: $0) }
            #expect(Digest(of: bytes) == reference)
            var h = SHA256Hasher(), at = 0
            while at < bytes.count {
                let n = min(bytes.count - at, rng.int(200))
                bytes[at..<at + n].withUnsafeBytes { h.update($0) }
                at += n
            }
            #expect(h.finalize() == reference)
        }
    }
}
