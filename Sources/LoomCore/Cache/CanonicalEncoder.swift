/// A length-prefixed byte encoding: each field is `tag:length:bytes`, so no two different field
/// sequences can encode to the same bytes (unlike plain concatenation). Keys hash this encoding.
struct CanonicalEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func field(_ tag: String, _ value: String) {
        bytes.append(contentsOf: tag.utf8)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(value.utf8.count)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: value.utf8)
    }

    /// `field(tag, digest.hex)` without making the string (a join's key has 1,000 inputs).
    mutating func field(_ tag: String, hexOf digest: Digest) {
        bytes.append(contentsOf: tag.utf8)
        bytes.append(contentsOf: ":64:".utf8)
        digest.appendHex(to: &bytes)
    }

    private mutating func appendDecimal(_ n: Int) {
        if n >= 10 { appendDecimal(n / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(n % 10))
    }

    mutating func count(_ tag: String, _ n: Int) { field(tag, String(n)) }
}
