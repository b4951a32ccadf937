import Foundation
import Testing
@testable import LoomCore

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let j = try JSON.parse(#" {"a": [1, -2.5, 1e3, true, false, null, "x\"\\\/\n\u00e9"], "b": {}, "c": []} "#)
        #expect(j == .object(["a": .array([.int(1), .number(-2.5), .number(1000), .bool(true), .bool(false), .null, .string("x\"\\/\né")]),
                              "b": .object([:]), "c": .array([])]))
        // What Loom writes reads back as the same value.
        #expect(try JSON.parse(j.encoded(pretty: true)) == j)
    }

    @Test func surrogatePairsCombineAndLoneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
        // The reported crash: a high surrogate followed by an escape that is not a low one.
        #expect(try JSON.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSON.parse(#""\ud800""#) == .string("\u{FFFD}"))
        #expect(try JSON.parse(#""\udc00x""#) == .string("\u{FFFD}x"))
        #expect(try JSON.parse(#""\ud800\ud800\udc00""#) == .string("\u{FFFD}𐀀"))
        #expect(try JSON.parse(#""\ud800\n""#) == .string("\u{FFFD}\n"))
        #expect(try JSON.parse(#"{"\udfff": 1}"#) == .object(["\u{FFFD}": .int(1)]))
    }

    @Test(arguments: [
        (#""\u12""#, "bad \\u escape"), (#""\u+123""#, "bad \\u escape"), (#""\u-001""#, "bad \\u escape"),
        (#""\q""#, "invalid escape '\\q'"), (#""abc"#, "unterminated string"),
        ("1e400", "number out of range"), ("-1e99999999999999999999", "number out of range"),
        ("01", "a number may not start with 0"), ("1.", "expected a digit after '.'"), ("1e", "expected a digit in the exponent"),
        ("-", "unexpected character"), ("+1", "unexpected character"), ("[1,]", "unexpected character"),
        ("{\"a\" 1}", "expected ':'"), ("{\"a\": 1,}", "expected a key"), ("[1 2]", "expected ',' or ']'"), ("[1", "unexpected end"),
    ])
    func malformedInputIsAnErrorNeverATrap(text: String, message: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(text) }
        do { _ = try JSON.parse(text) } catch let e as JSON.ParseError {
            #expect(e.message == message)
            #expect(e.offset >= 0 && e.offset <= text.utf8.count)
        } catch {}
    }

    @Test func longNumbersParseWithoutOverflow() throws {
        // Past Int's range an integer becomes a Double; very long digit strings and exponents do not wrap.
        #expect(try JSON.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSON.parse("9223372036854775808") == .number(9223372036854775808))
        #expect(try JSON.parse(String(repeating: "9", count: 300)) == .number(1e300))
        #expect(try JSON.parse("0." + String(repeating: "0", count: 100_000) + "1") == .number(0))
        #expect(try JSON.parse("1e-99999999999999999999") == .number(0))
    }

    @Test func nestingIsBoundedAtMaxDepth() throws {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        let n = 100_000   // far deeper than any native stack could recurse
        let deep = String(repeating: "[", count: n) + String(repeating: "]", count: n)
        do { _ = try JSON.parse(deep); Issue.record("parsed \(n) levels") } catch let e as JSON.ParseError {
            #expect(e.message == "nested deeper than 64 levels")
            #expect(e.offset == JSON.maxDepth)
        }
        let objects = String(repeating: "{\"a\":", count: JSON.maxDepth + 1) + "1" + String(repeating: "}", count: JSON.maxDepth + 1)
        #expect(throws: JSON.ParseError.self) { try JSON.parse(objects) }
    }

    /// `metrics.json` is read on a task's waiter thread, whose stack is 64 KiB: parsing, flattening
    /// and releasing a value nested as deep as the parser allows must fit in it.
    @Test func theDeepestMetricsFileFitsASmallStack() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let d = JSON.maxDepth
        dir.write("metrics.json", String(repeating: "{\"a\":[0,", count: d / 2) + "1" + String(repeating: "]}", count: d / 2))
        let done = DispatchSemaphore(value: 0)
        let result = Locked<[String: Double]?>(nil)
        let thread = Thread {
            result.mutate { $0 = Engine.readMetrics(dir.path) }
            done.signal()
        }
        thread.stackSize = 1 << 16
        thread.start()
        done.wait()
        // Lists are not flattened (only objects are), so only the outermost key's path is absent.
        #expect(result.value == [:])
        dir.write("metrics.json", String(repeating: "{\"a\":", count: d) + "1" + String(repeating: "}", count: d))
        let thread2 = Thread {
            result.mutate { $0 = Engine.readMetrics(dir.path) }
            done.signal()
        }
        thread2.stackSize = 1 << 16
        thread2.start()
        done.wait()
        #expect(result.value == [Array(repeating: "a", count: d).joined(separator: "."): 1])
    }

    /// The parser was rewritten without recursion: whatever `JSON` encodes (random trees of every
    /// case, strings with escapes, controls and astral characters, extreme numbers) parses back equal.
    @Test func randomValuesRoundTrip() throws {
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let strings = ["", "a", "é", "😀", "\"", "\\", "\n\t\r", "\u{01}", "/", "\u{FFFD}", "x y"]
        let numbers: [Double] = [0, -0.5, 0.1, 1e-300, 1.7976931348623157e308, -2.5e20, 123456.789, 5e-324]
        func value(_ depth: Int) -> JSON {
            switch next(depth >= 5 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(next(2) == 0)
            case 2: return .int([0, -1, Int.max, Int.min, 42][next(5)])
            case 3: return .number(numbers[next(numbers.count)])
            case 4: return .string((0..<next(4)).map { _ in strings[next(strings.count)] }.joined())
            case 5: return .array((0..<next(4)).map { _ in value(depth + 1) })
            default:
                var o: [String: JSON] = [:]
                for _ in 0..<next(4) { o[strings[next(strings.count)] + strings[next(strings.count)]] = value(depth + 1) }
                return .object(o)
            }
        }
        for _ in 0..<500 {
            let v = value(0)
            #expect(try JSON.parse(v.encoded(pretty: next(2) == 0)) == v)
        }
    }
}

/// `JSON.byteOrderPermutation` (a shared prefix skipped, eight bytes compared as an integer) puts
/// keys in the order `byteOrder` does, for any keys: shared prefixes longer and shorter than eight
/// bytes, keys that are prefixes of others, NUL bytes (equal to the zero padding), non-ASCII
/// (where Swift's `<` and bytes disagree), duplicates, and fewer than 16 keys (the plain sort).
@Suite struct ByteOrderSortTests {
    @Test func sortsAsByteOrderOverRandomKeys() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let pieces = ["", "\0", "a", "b", "t", "\u{7f}", "é", "e\u{301}", "\u{10FFFF}", "z", "0", "9", "/"]
        for trial in 0..<400 {
            let prefix = String(repeating: "p", count: next(3) == 0 ? 0 : next(12))
            let count = [1, 2, 15, 16, 17, 40, 300][next(7)]
            var keys: [String] = []
            for _ in 0..<count {
                var k = next(5) == 0 ? "" : prefix
                for _ in 0..<next(12) { k += pieces[next(pieces.count)] }
                keys.append(k)
            }
            if next(4) == 0, let k = keys.first { keys.append(k) }   // a duplicate
            let expected = keys.sorted(by: JSON.byteOrder)
            #expect(JSON.sortedByBytes(keys) == expected, "trial \(trial)")
            #expect(JSON.byteOrderPermutation(keys).sorted() == Array(keys.indices))
        }
        let d = Dictionary(uniqueKeysWithValues: (0..<1000).map { ("t\($0)", $0) })
        #expect(JSON.sortedByBytes(d).map(\.key) == d.keys.sorted(by: JSON.byteOrder))
        #expect(JSON.sortedByBytes(d).allSatisfy { d[$0.key] == $0.value })
    }
}
