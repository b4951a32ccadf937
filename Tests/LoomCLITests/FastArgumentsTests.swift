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
    ]

    /// Forms the fast reader must leave to the library (some valid, some errors, some help).
    static let declined: [[String]] = [
        [], ["run"], ["status"], ["runs"], ["show", "x"],
        ["run", "dags/x.yaml", "-j", "0"], ["run", "dags/x.yaml", "-j0"], ["run", "dags/x.yaml", "-j"], ["run", "dags/x.yaml", "-j", "x"],
        ["run", "dags/x.yaml", "-j", "+4"], ["run", "dags/x.yaml", "-q", "-q"], ["run", "dags/x.yaml", "-q", "--quiet"],
        ["run", "dags/x.yaml", "--name", "n"], ["run", "dags/x.yaml", "--force", "t"], ["run", "dags/x.yaml", "-C", "dir"],
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

    @Test func defaultsAreTheLibrarys() throws {
        // No -j: the number of cores is decided at run time by both.
        guard case .run(let r) = try #require(FastArguments.parse(["run", "d.yaml"])) else { Issue.record("not a run"); return }
        #expect(r.jobs == nil && !r.quiet && r.tasks.isEmpty && r.params.isEmpty && r.directory == nil)
        #expect(FastArguments.run(r) == (try Self.library(["run", "d.yaml"])))
    }
}
