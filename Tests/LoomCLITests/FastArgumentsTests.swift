import ArgumentParser
import Testing
@testable import LoomCLI

/// `FastArguments` reads the everyday forms of `run` and `status` without swift-argument-parser.
/// Whatever it accepts must mean exactly what the library makes of the same words; everything
/// else must be left to the library (nil).
@Suite struct FastArgumentsTests {
    /// What swift-argument-parser makes of the words, as the same request type.
    static func library(_ words: [String]) throws -> FastArguments {
        switch try Loom.parseAsRoot(words) {
        case let r as Run: return .run(r.request)
        case let s as Status: return .status(s.request)
        case let other: throw TestFailure("parsed as \(type(of: other))")
        }
    }

    struct TestFailure: Error { let message: String; init(_ m: String) { message = m } }

    static let accepted: [[String]] = [
        ["run", "dags/x.yaml"],
        ["run", "dags/x.yaml", "-q"],
        ["run", "dags/x.yaml", "--quiet"],
        ["run", "-q", "dags/x.yaml", "a", "b"],
        ["run", "dags/x.yaml", "-j", "4"],
        ["run", "dags/x.yaml", "-j4"],
        ["run", "-j", "12", "dags/x.yaml", "t"],
        ["run", "dags/x.yaml", "--keep-going", "--dry-run", "--wait"],
        ["run", "dags/x.yaml", "-P", "k=5", "-P", "s=a b", "-P", "ks=3,4,5"],
        ["run", "dags/x.yaml", "-P", "k=-1"],
        ["status", "dags/x.yaml"],
        ["status", "dags/x.yaml", "t1", "t2"],
        ["status", "-P", "k=1", "dags/x.yaml"],
        ["run", "dags/x.yaml", "-C", "dir"],
        ["run", "-C", "a", "-C", "b c", "dags/x.yaml", "t"],
        ["status", "-C", "proj", "demo"],
    ]

    /// Forms the fast reader must leave to the library (some valid, some errors, some help).
    static let declined: [[String]] = [
        [], ["run"], ["status"], ["runs"], ["show", "x"],
        ["run", "dags/x.yaml", "-j", "0"], ["run", "dags/x.yaml", "-j0"], ["run", "dags/x.yaml", "-j"], ["run", "dags/x.yaml", "-j", "x"],
        ["run", "dags/x.yaml", "-j", "+4"], ["run", "dags/x.yaml", "-q", "-q"], ["run", "dags/x.yaml", "-q", "--quiet"],
        ["run", "dags/x.yaml", "--name", "n"], ["run", "dags/x.yaml", "--force", "t"], ["run", "dags/x.yaml", "-C"], ["run", "dags/x.yaml", "-C", "-q"],
        ["run", "dags/x.yaml", "-Cdir"], ["run", "dags/x.yaml", "--directory", "d"],
        ["run", "dags/x.yaml", "--fail-if", "a.b < 1"], ["run", "--", "dags/x.yaml"], ["run", "dags/x.yaml", "-"],
        ["run", "dags/x.yaml", "-h"], ["run", "--help"], ["run", "help"], ["run", "dags/x.yaml", "-P"],
        ["run", "dags/x.yaml", "-P", "-x"], ["run", "dags/x.yaml", "-qj4"], ["run", ""],
        ["status", "dags/x.yaml", "-q"], ["status", "dags/x.yaml", "-j", "2"], ["status", "dags/x.yaml", "--force", "t"],
    ]

    @Test(arguments: accepted) func acceptedFormsMeanWhatTheLibraryReads(_ words: [String]) throws {
        let fast = try #require(FastArguments.parse(words), "the everyday form \(words) should not need the library")
        #expect(fast == (try Self.library(words)))
    }

    @Test(arguments: declined) func otherFormsAreLeftToTheLibrary(_ words: [String]) {
        #expect(FastArguments.parse(words) == nil)
    }

    /// Words the random command lines below are made of: every option either reader knows, values
    /// good and bad, and words that look like options.
    static let vocabulary = ["run", "status", "dags/x.yaml", "t", "-q", "--quiet", "-j", "4", "-j2", "0", "-j0", "-P", "k=5", "k=",
                             "-C", "dir", "a b", "--keep-going", "--dry-run", "--wait", "--force", "--name", "-", "--", "-x",
                             "help", "-h", "", "--directory", "-Cdir", "--wait-timeout", "1.5"]

    /// A fast path is kept equal to the slow one by a differential test over random inputs, not a
    /// handful of examples (`STYLE.md`): every command line the fast reader accepts, among
    /// 2,000 drawn from `vocabulary` (seeded, so a failure reproduces), must read the same with
    /// the library, also after `GlobalArguments` moved a leading `-C`.
    @Test func randomCommandLinesReadTheSameBothWays() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {   // splitmix64: a fixed sequence on every platform
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        var accepted = 0
        for _ in 0..<2000 {
            var words = [["run", "status", "-C"][next(3)]]
            if words[0] == "-C" { words += [["dir", "a b", "-q"][next(3)], ["run", "status"][next(2)]] }
            for _ in 0..<next(7) { words.append(Self.vocabulary[next(Self.vocabulary.count)]) }
            let hoisted = GlobalArguments.hoisted(words)
            guard let fast = FastArguments.parse(hoisted) else { continue }
            accepted += 1
            #expect(fast == (try Self.library(hoisted)), "\(words)")
        }
        #expect(accepted > 100, "the generator should reach the fast path often")
    }

    @Test(arguments: [
        (["-C", "p", "run", "d.yaml"], ["run", "-C", "p", "d.yaml"]),
        (["-Cp", "status", "d.yaml"], ["status", "-C", "p", "d.yaml"]),
        (["--directory", "p", "-C", "q", "runs"], ["runs", "-C", "p", "-C", "q"]),
        (["--directory=p q", "run", "-C", "r", "d.yaml"], ["run", "-C", "p q", "-C", "r", "d.yaml"]),
        (["-C", "p", "--version"], ["--version", "-C", "p"]),
        (["-C", "p"], ["-C", "p"]),
        (["-C"], ["-C"]),
        (["run", "-C", "p", "d.yaml"], ["run", "-C", "p", "d.yaml"]),
        (["-q", "-C", "p", "run"], ["-q", "-C", "p", "run"]),
    ])
    func leadingDirectoriesMoveAfterTheCommand(_ words: [String], _ expected: [String]) {
        #expect(GlobalArguments.hoisted(words) == expected)
    }

    @Test func directoriesBeforeAndAfterTheCommandMeanTheSame() throws {
        let before = try Self.library(GlobalArguments.hoisted(["-C", "a", "run", "d.yaml", "-C", "b"]))
        guard case .run(let r) = before else { Issue.record("not a run"); return }
        #expect(r.directories == ["a", "b"])
        #expect(FastArguments.parse(GlobalArguments.hoisted(["-C", "a", "run", "d.yaml", "-C", "b"])) == before)
    }

    @Test func defaultsAreTheLibrarys() throws {
        // No -j: the number of cores is decided at run time by both.
        guard case .run(let r) = try #require(FastArguments.parse(["run", "d.yaml"])) else { Issue.record("not a run"); return }
        #expect(r.jobs == nil && !r.quiet && r.tasks.isEmpty && r.params.isEmpty && r.directories.isEmpty)
        #expect(FastArguments.run(r) == (try Self.library(["run", "d.yaml"])))
    }
}
