import ArgumentParser
import Foundation
import Testing
@testable import LoomCLI

@Suite struct SweepTests {
    @Test func gridInOrderLastVaryingFastest() throws {
        let points = try Sweep.points([("k", "3,4"), ("seed", "1,2,3"), ("name", "x")])
        #expect(points.count == 6)
        #expect(points.map { $0.map { "\($0.name)=\($0.value)" }.joined(separator: " ") } == [
            "k=3 seed=1 name=x", "k=3 seed=2 name=x", "k=3 seed=3 name=x",
            "k=4 seed=1 name=x", "k=4 seed=2 name=x", "k=4 seed=3 name=x",
        ])
    }

    @Test func bracketedValuesAreOneValue() throws {
        #expect(try Sweep.points([("ks", "[3, 4]")]).count == 1)
        #expect(try Sweep.points([]).count == 1)
        #expect(throws: ValidationError.self) { try Sweep.points([("k", "3,,4")]) }
    }

    @Test func tablesAreAlignedAndTrimmed() {
        #expect(Table.render([["A", "LONGER", "C"], ["aaaa", "b", ""]]) == ["A     LONGER  C", "aaaa  b"])
        #expect(formatNumber(3) == "3")
        #expect(formatNumber(0.123456) == "0.1235")
        #expect(formatNumber(12345.678) == "12345.7")
    }

    @Test func exitCodesAreStable() {
        #expect([ExitStatus.ok, .taskFailed, .usage, .invalid, .lockBusy, .gateFailed, .environment, .noProject, .remoteUnavailable, .internalError, .interrupted].map(\.rawValue)
            == [0, 1, 2, 3, 4, 5, 6, 7, 8, 70, 130])
    }

    @Test func jobsTakeAJoinedValue() throws {
        // make and ninja users type -j4. (Not -Pk=5: ArgumentParser reads "-Pk=5" as an option
        // named "Pk", so -P keeps its separate value.)
        let joined = try Run.parse(["dags/x.yaml", "-j4", "-P", "seed=2"])
        #expect(joined.j == 4)
        #expect(joined.dag.params == ["seed=2"])
        #expect(try Run.parse(["dags/x.yaml", "-j", "3"]).j == 3)
    }

    @Test func unknownCommandIsAUsageError() {
        #expect(LoomMain.run(["frobnicate"]) == 2)
        #expect(LoomMain.run(["run"]) == 2)
    }
}

@Suite struct KindsDocTests {
    // docs/kinds.md is generated from the declarations; regenerate it with
    // `loom kinds --markdown > docs/kinds.md` when a kind changes.
    @Test func docsMatchTheDeclarations() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/kinds.md").path
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Kinds.markdown())
    }
}
