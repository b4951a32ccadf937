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

    private mutating func appendDecimal(_ n: Int) {
        if n >= 10 { appendDecimal(n / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(n % 10))
    }

    mutating func count(_ tag: String, _ n: Int) { field(tag, String(n)) }
}
