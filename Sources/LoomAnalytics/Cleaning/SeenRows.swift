/// The rows `Clean.stream` has kept, for finding duplicates without holding the rows: an
/// open-addressing table of (tag, locator) pairs, 12 bytes a slot, where the tag is 32 bits of the
/// row's key hash and the locator packs the byte offset of the row's record in the input file (40
/// bits) and its length (24 bits; longer records keep their length in `longLengths`).
///
/// The table only proposes candidates: a row whose hash matches a kept row's is compared with that
/// row's values (read back from the file when it is not in the current piece), so a hash collision
/// never drops a row. The hash may be seeded per process (`Hasher`): it decides only where an entry
/// sits, never what is kept, so the output does not depend on it.
struct SeenRows {
    var tags: [UInt32]
    var locators: [UInt64]
    var count = 0
    var longLengths: [Int: Int] = [:]
    static let empty = UInt64.max
    static let maxOffset = (1 << 40) - 2
    static let longLength = (1 << 24) - 1

    /// - Parameter capacity: slots to start with, a power of two (at least 2).
    init(capacity: Int = 1 << 16) {
        tags = [UInt32](repeating: 0, count: capacity)
        locators = [UInt64](repeating: Self.empty, count: capacity)
    }

    /// Whether a kept row is the same as the row being added: the kept rows whose 32-bit tag
    /// matches `hash`'s are offered (their file offset and length) to `isSame` in probe order, and
    /// true is returned as soon as it says yes. Otherwise the row is kept, at `offset` and `length`.
    mutating func insert(hash: Int, offset: Int, length: Int, isSame: (_ offset: Int, _ length: Int) throws -> Bool) throws -> Bool {
        if (count + 1) * 4 > tags.count * 3 { grow() }
        let tag = UInt32(truncatingIfNeeded: hash)
        var slot = home(tag)
        let mask = tags.count - 1
        while locators[slot] != Self.empty {
            if tags[slot] == tag {
                let (o, n) = unpack(locators[slot])
                if try isSame(o, n) { return true }
            }
            slot = (slot + 1) & mask
        }
        guard offset <= Self.maxOffset else {
            throw AnalyticsError.invalidInput(what: "an event table of more than 1 TB", expected: "a smaller file")
        }
        if length >= Self.longLength { longLengths[offset] = length }
        tags[slot] = tag
        locators[slot] = UInt64(offset) << 24 | UInt64(min(length, Self.longLength))
        count += 1
        return false
    }

    /// An entry's first slot: a function of its tag alone (Fibonacci hashing: the top bits of the
    /// tag times 2^64/phi), so that `grow` can re-place entries without their full hash.
    func home(_ tag: UInt32) -> Int {
        let bits = tags.count.trailingZeroBitCount
        return Int(truncatingIfNeeded: (UInt64(tag) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
    }

    func unpack(_ locator: UInt64) -> (offset: Int, length: Int) {
        let offset = Int(locator >> 24), length = Int(locator & UInt64(Self.longLength))
        return (offset, length == Self.longLength ? longLengths[offset] ?? length : length)
    }

    /// Doubles the capacity, re-placing every entry by its tag.
    mutating func grow() {
        let (oldTags, oldLocators) = (tags, locators)
        tags = [UInt32](repeating: 0, count: tags.count * 2)
        locators = [UInt64](repeating: Self.empty, count: tags.count)
        let mask = tags.count - 1
        for k in oldTags.indices where oldLocators[k] != Self.empty {
            var slot = home(oldTags[k])
            while locators[slot] != Self.empty { slot = (slot + 1) & mask }
            tags[slot] = oldTags[k]
            locators[slot] = oldLocators[k]
        }
    }
}
