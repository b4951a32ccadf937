/// Texts as small integer codes, in order of first appearance: a column of a large table held as
/// one `Int32` per row and one `String` per distinct value (dictionary coding).
///
/// Codes follow Swift's `String` equality, as the whole-table code they stand in for compares
/// (canonically equivalent texts share a code and the first one's bytes). When asked to check,
/// `merged` records that two such texts had different bytes: a caller that writes the texts, or
/// ranks them by bytes, cannot then stand in for code that kept each row's own bytes.
struct StringCodes {
    private(set) var strings: [String] = []
    private(set) var codes: [String: Int32] = [:]
    private(set) var merged = false

    /// The code of `s`, new if it has none; `checkBytes`: compare the bytes of a text already coded.
    mutating func code(_ s: String, checkBytes: Bool) throws -> Int32 {
        if let c = codes[s] {
            if checkBytes && !merged && !strings[Int(c)].utf8.elementsEqual(s.utf8) { merged = true }
            return c
        }
        guard let c = Int32(exactly: strings.count) else {
            throw AnalyticsError.invalidInput(what: "more than \(Int32.max) distinct texts in a column", expected: "fewer")
        }
        codes[s] = c
        strings.append(s)
        return c
    }

    /// The code of a text already seen (by `String` equality), or nil.
    func lookup(_ s: String) -> Int32? { codes[s] }

    var count: Int { strings.count }
    subscript(code: Int32) -> String { strings[Int(code)] }
}
