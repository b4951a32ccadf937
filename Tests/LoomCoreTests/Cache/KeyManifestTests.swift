import Foundation
import Testing
@testable import LoomCore

@Suite struct KeyManifestTests {
    let d1 = Digest(of: "one"), d2 = Digest(of: "two")

    var base: KeyManifest {
        KeyManifest(kind: "kmeans", kindVersion: 2, params: ["k": .int(4), "seed": .int(1)], inputs: ["features": d1],
                    files: ["data/x.csv": d2], env: [:], outputs: [], command: nil)
    }

    // Pins the canonical encoding: if this changes, every user's cache is invalidated, so the
    // schema version must be bumped in the same change.
    @Test func keyIsPinned() {
        let m = KeyManifest(kind: "shell", kindVersion: 1, params: ["n": .int(3)], command: "seq {{params.n}}")
        #expect(String(decoding: m.canonicalBytes, as: UTF8.self)
            == "schema:1:2kind:5:shellkind-version:1:1params:1:1name:1:nvalue:1:3inputs:1:0files:1:0env:1:0outputs:1:0command:16:seq {{params.n}}")
        #expect(m.key.hex == Digest(of: Array(m.canonicalBytes)).hex)
    }

    /// Digests in the canonical encoding are their hex digits as a field of 64 bytes (pinned when
    /// they came to be appended without a string each).
    @Test func keyWithInputsAndFilesIsPinned() {
        let m = KeyManifest(kind: "shell", kindVersion: 1, inputs: ["b": d2, "a": d1], files: ["x": d1], command: "c")
        let expected = "schema:1:2kind:5:shellkind-version:1:1params:1:0inputs:1:2name:1:avalue:64:\(d1.hex)name:1:bvalue:64:\(d2.hex)"
            + "files:1:1name:1:xvalue:64:\(d1.hex)env:1:0outputs:1:0command:1:c"
        #expect(String(decoding: m.canonicalBytes, as: UTF8.self) == expected)
    }

    /// `write` gives the bytes of `json`'s encoding, compact and pretty, alone and nested (its key
    /// entry and the run record write it that way), for every kind of field and awkward names.
    @Test func writeIsTheJSONEncoding() {
        let params: [String: ParamValue] = ["k": .int(4), "rate": .float(0.25), "name": .string("a \"q\" é\n"), "on": .bool(true),
                                            "none": .null, "list": .list([.int(1), .string("x")]), "map": .map(["z": .int(1), "a": .list([])]),
                                            "paramsX": .int(1), "Params": .int(2)]
        let manifests = [
            KeyManifest(kind: "shell", kindVersion: 1),
            KeyManifest(kind: "k", kindVersion: 3, params: params, inputs: ["up": d1, "Up": d2, "u\u{1}p": d1],
                        files: ["data/x.csv": d2, "é.txt": d1], env: ["B": "1", "A": "x\ty"], outputs: ["o/b", "o/a"], command: "echo \"$X\""),
            base,
        ]
        for m in manifests {
            for pretty in [false, true] {
                var w = JSONWriter(pretty: pretty)
                m.write(&w)
                #expect(w.bytes == m.json.encodedBytes(pretty: pretty))
                var nested = JSONWriter(pretty: pretty)
                nested.openObject()
                nested.key("a")
                nested.openArray()
                nested.element()
                m.write(&nested)
                nested.closeArray()
                nested.closeObject()
                #expect(nested.bytes == JSON.object(["a": .array([m.json])]).encodedBytes(pretty: pretty))
            }
        }
    }

    /// The direct writer against the tree's encoding over 400 seeded random manifests (names and
    /// values with quotes, backslashes, control characters, non-ASCII text; params nested three
    /// deep): a second path needs a proof over random inputs.
    @Test func writeMatchesTheJSONEncodingOverRandomManifests() {
        var r = DifferentialTests.Rand(state: 0x5EED_1234)
        let pieces = ["a", "B", "_", "0", "\"", "\\", "\n", "\u{1}", "\u{7f}", "é", "😀", " ", "params", "/", ".", ""]
        func text() -> String { (0..<r.int(6)).map { _ in pieces[r.int(pieces.count)] }.joined() }
        func value(_ depth: Int) -> ParamValue {
            switch r.int(depth > 0 ? 7 : 5) {
            case 0: return .null
            case 1: return .bool(r.int(2) == 0)
            case 2: return .int(Int(truncatingIfNeeded: r.next()) >> r.int(64))
            case 3: return .float([0.5, -0.0, 1e-300, 123456.789, 3][r.int(5)])
            case 4: return .string(text())
            case 5: return .list((0..<r.int(4)).map { _ in value(depth - 1) })
            default: return .map(Dictionary((0..<r.int(4)).map { _ in (text(), value(depth - 1)) }, uniquingKeysWith: { a, _ in a }))
            }
        }
        func digests() -> [String: Digest] { Dictionary((0..<r.int(5)).map { _ in (text(), Digest(of: text())) }, uniquingKeysWith: { a, _ in a }) }
        for trial in 0..<400 {
            let m = KeyManifest(kind: text(), kindVersion: r.int(5), params: Dictionary((0..<r.int(5)).map { _ in (text(), value(3)) }, uniquingKeysWith: { a, _ in a }),
                                inputs: digests(), files: digests(),
                                env: Dictionary((0..<r.int(4)).map { _ in (text(), text()) }, uniquingKeysWith: { a, _ in a }),
                                outputs: (0..<r.int(3)).map { _ in text() }, command: r.int(2) == 0 ? nil : text())
            for pretty in [false, true] {
                var w = JSONWriter(pretty: pretty)
                m.write(&w)
                #expect(w.bytes == m.json.encodedBytes(pretty: pretty), "trial \(trial), pretty \(pretty)")
            }
        }
    }

    @Test func keyIgnoresDictionaryOrderButNotTypes() {
        var a = base, b = base
        a.params = ["k": .int(4), "seed": .int(1)]
        b.params = ["seed": .int(1), "k": .int(4)]
        #expect(a.key == b.key)
        b.params["k"] = .float(4)
        #expect(a.key != b.key)
        b.params["k"] = .string("4")
        #expect(a.key != b.key)
    }

    @Test func lengthPrefixPreventsAmbiguity() {
        let a = KeyManifest(kind: "x", kindVersion: 1, params: ["ab": .string("c")])
        let b = KeyManifest(kind: "x", kindVersion: 1, params: ["a": .string("bc")])
        #expect(a.key != b.key)
    }

    @Test func diffsAreExplainedFieldByField() {
        var new = base
        new.kindVersion = 3
        new.params["k"] = .int(5)
        new.params["init"] = .string("k-means++")
        new.inputs["features"] = d2
        new.files["data/x.csv"] = d1
        new.command = "echo"
        #expect(KeyDiff.between(base, new).map(\.description) == [
            "kind kmeans version 2 -> 3",
            "param 'init' added (\"k-means++\")",
            "param 'k' changed 4 -> 5",
            "input 'features' changed",
            "file data/x.csv changed",
            "command changed: \"\" -> \"echo\"",
        ])
    }

    /// Issue 14: a changed command says what changed, not only that it did.
    @Test func commandChangesShowTheChange() {
        #expect(KeyDiff.commandChanged(old: "seq 1 10 > $LOOM_OUT/n", new: "seq 1 20 > $LOOM_OUT/n").description
                == "command changed: \"seq 1 10 > $LOOM_OUT/n\" -> \"seq 1 20 > $LOOM_OUT/n\"")
        // A multi-line command: its first changed line.
        #expect(KeyDiff.commandChanged(old: "set -e\nsort a > b\nwc -l b", new: "set -e\nsort -u a > b\nwc -l b").description
                == "command changed at line 2: \"sort a > b\" -> \"sort -u a > b\"")
        #expect(KeyDiff.commandChanged(old: "a\nb", new: "a").description == "command changed at line 2: \"b\" -> \"\"")
        // A long line: 60 characters from 20 before the first difference (at 108: "--flag " ends there).
        let head = String(repeating: "x", count: 100)
        let d = KeyDiff.commandChanged(old: head + " --flag 1 " + head, new: head + " --flag 2 " + head).description
        let expected = "..." + String(repeating: "x", count: 12) + " --flag 1 " + String(repeating: "x", count: 38) + "..."
        #expect(d.hasPrefix("command changed: \"\(expected)\" -> "), "\(d)")
    }

    @Test func unknownInputsAreNotReportedAsRemoved() {
        var new = base
        new.inputs = [:]
        #expect(KeyDiff.between(base, new, unknownInputs: ["features"]).isEmpty)
        #expect(KeyDiff.between(base, new).map(\.description) == ["input 'features' removed"])
    }

    @Test func jsonRoundTrip() throws {
        var m = base
        m.params["list"] = .list([.float(0.5), .string("a")])
        m.command = "run"
        m.env = ["A": "1"]
        m.outputs = ["out.csv"]
        let back = try #require(KeyManifest(json: try JSON.parse(m.json.encoded(pretty: true))))
        #expect(back == m)
        #expect(back.key == m.key)
    }
}

@Suite struct JSONTests {
    @Test func stableEncoding() throws {
        let j = JSON.object(["b": .int(1), "a": .array([.number(0.1), .number(2), .string("q\"\n")]), "c": .null])
        #expect(j.encoded() == #"{"a":[0.1,2.0,"q\"\n"],"b":1,"c":null}"#)
        #expect(try JSON.parse(j.encoded()) == j)
    }

    @Test func keysSortByUTF8BytesAndEscapesAreExact() throws {
        // "Z" (0x5A) < "a" (0x61) < "é" (0xC3 0xA9) < "😀" (0xF0 ...) in bytes; "ab" after "a".
        let j = JSON.object(["😀": .int(4), "é": .int(3), "ab": .int(2), "a": .int(1), "Z": .int(0), "": .bool(true)])
        #expect(j.encoded() == #"{"":true,"Z":0,"a":1,"ab":2,"é":3,"😀":4}"#)
        #expect(JSON.string("tab\tbell\u{07}\r\\").encoded() == #""tab\tbell\u0007\r\\""#)
        #expect(try JSON.parse(JSON.string("tab\tbell\u{07}\r\\").encoded()) == .string("tab\tbell\u{07}\r\\"))
        #expect(JSON.object(["k": .array([.int(1), .object([:])])]).encoded(pretty: true) == "{\n  \"k\": [\n    1,\n    {}\n  ]\n}")
    }

    @Test func utcTimeFormatsAndParses() throws {
        // 2026-11-23T03:42:26.123Z = 1795405346.123 s after the epoch (date -u -d @1795405346).
        let d = Date(timeIntervalSince1970: 1_795_405_346.123)
        let t = UTCTime(d)
        #expect(t.iso == "2026-11-23T03:42:26.123Z")
        #expect(t.isoSeconds == "2026-11-23T03:42:26Z")
        #expect(t.compact == "20261123-034226-123")
        #expect(t.short == "11-23 03:42")
        // Parsing adds the milliseconds as a fraction; at 1.8e9 s a double's spacing is 2.4e-7 s.
        #expect(abs((UTCTime.parse(t.iso)?.timeIntervalSince1970 ?? 0) - 1_795_405_346.123) < 1e-6)
        #expect(UTCTime.parse("2026-11-23")?.timeIntervalSince1970 == 1_795_392_000)
        #expect(UTCTime.parse("2026-11-23T03:42:26.5Z")?.timeIntervalSince1970 == 1_795_405_346.5)
        // Before the epoch and at a leap day.
        #expect(UTCTime(Date(timeIntervalSince1970: -0.5)).iso == "1969-12-31T23:59:59.500Z")
        #expect(UTCTime.parse("2024-02-29")?.timeIntervalSince1970 == 1_709_164_800)
        // The calendar arithmetic against gmtime_r: seeded random moments from 1600 to 2400
        // (leap centuries both ways), and the edges of days, years and the epoch.
        var rng = DifferentialTests.Rand(state: 20261204)
        var moments: [Int64] = [0, -1, 86_399, 86_400, -86_400, -86_401, 951_782_400, 951_868_799, 4_107_542_399, -11_676_096_000]
        for _ in 0..<20_000 { moments.append(Int64(rng.next() % 25_245_000_000) - 11_676_096_000) }
        for s in moments {
            var secs = time_t(s)
            var g = tm()
            gmtime_r(&secs, &g)
            let u = UTCTime(Date(timeIntervalSince1970: Double(s) + 0.25))
            let ours: [Int] = [u.year, u.month, u.day, u.hour, u.minute, u.second, u.millisecond]
            let libc: [Int] = [Int(g.tm_year) + 1900, Int(g.tm_mon) + 1, Int(g.tm_mday), Int(g.tm_hour), Int(g.tm_min), Int(g.tm_sec), 250]
            #expect(ours == libc, "\(s)")
        }
        for bad in ["2026-02-30", "2026-13-01", "2026-11-23T03:42:26", "2026-11-23T03:42:26.Z", "20261123", "2026-11-23T24:00:00Z"] {
            #expect(UTCTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func parsesUnicodeAndNumbers() throws {
        #expect(try JSON.parse(#"{"x": "\u00e9\ud83d\ude00", "n": -1.5e3, "i": 42}"#)
            == .object(["x": .string("é😀"), "n": .number(-1500), "i": .int(42)]))
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{\"a\": }") }
    }
}

@Suite struct InterpolationTests {
    @Test func shellQuoting() {
        let params: [String: ParamValue] = ["s": .string("it's here; rm -rf /"), "n": .int(3), "l": .list([.string("a b"), .int(1)]), "p": .string("data/x.csv")]
        let out = ShellQuoting.render("cmd {{params.s}} {{ params.n }} {{params.l}} {{params.p}} {{other}}") { params[$0] }.command
        #expect(out == "cmd 'it'\\''s here; rm -rf /' 3 'a b' 1 data/x.csv {{other}}")
    }
}
