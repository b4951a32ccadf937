/// A length-prefixed byte encoding: each field is `tag:length:bytes`, so no two different field
/// sequences can encode to the same bytes (unlike plain concatenation). Keys hash this encoding.
struct CanonicalEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func field(_ tag: String, _ value: String) {
        let v = Array(value.utf8)
        bytes.append(contentsOf: Array(tag.utf8))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: Array(String(v.count).utf8))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: v)
    }

    mutating func count(_ tag: String, _ n: Int) { field(tag, String(n)) }
}
