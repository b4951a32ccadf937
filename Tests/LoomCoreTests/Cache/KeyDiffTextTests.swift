import Testing
@testable import LoomCore

@Suite struct KeyDiffTextTests {
    /// A multi-line param (a query) is explained by its first changed line; one-line values whole.
    @Test func multiLineParamsShowTheChangedLine() {
        #expect(KeyDiff.paramChanged(name: "query", old: .string("SELECT a\nFROM t\nWHERE a > 1"), new: .string("SELECT a\nFROM t\nWHERE a > 2")).description
                == "param 'query' changed at line 3: \"WHERE a > 1\" -> \"WHERE a > 2\"")
        #expect(KeyDiff.paramChanged(name: "query", old: .string("SELECT a\nFROM t"), new: .string("SELECT a\nFROM t\nLIMIT 1")).description
                == "param 'query' changed at line 3: (none) -> \"LIMIT 1\"")
        #expect(KeyDiff.paramChanged(name: "k", old: .int(4), new: .int(5)).description == "param 'k' changed 4 -> 5")
    }
}
