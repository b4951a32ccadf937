import Foundation
import LoomAnalytics
import LoomCore

/// `sample`: a seeded random sample of N lines of a file (header kept, order kept).
public enum Sample: TaskKind {
    public struct Params: Decodable, Sendable {
        public var input: String?
        public var file: String
        public var n: Int
        public var seed: Int
        public var header: Bool
        public var output: String
    }

    public static let name = "sample"
    public static let version = 1
    public static let summary = "Takes a seeded random sample of N lines of FILE (from the needed task INPUT, or a project file), keeping their order."
    public static let params = [
        ParamSpec.projectOrInputFile("the file to sample"),
        ParamSpec.optionalInput,
        ParamSpec("n", .int, .required, "how many lines to keep", bounds: .atLeast(0)),
        ParamSpec("seed", .int, 0, "random seed"),
        ParamSpec("header", .bool, false, "keep the first line and do not sample it"),
        ParamSpec("output", .string, "sample.txt", "the file to write"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if GraphBuilder.outputPath(p.output) == nil {
            out.append(ParamProblem(param: "output", "output path '\(p.output)' would escape $LOOM_OUT (use a relative path without '..')"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        let path = try p.input.map { try context.input($0) + "/" + p.file } ?? (context.projectRoot + "/" + p.file)
        guard FileSystem.exists(path) else { throw KindError("no file \(path)") }
        var lines = try FileSystem.readText(path).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let head = p.header && !lines.isEmpty ? [lines.removeFirst()] : []
        // Reservoir sampling (Algorithm R), then restore the original order.
        var rng = SeededRandom(seed: UInt64(bitPattern: Int64(p.seed)))
        var reservoir = Array(lines.indices.prefix(p.n))
        if lines.count > p.n {
            for i in p.n..<lines.count {
                let j = rng.int(below: i + 1)
                if j < p.n { reservoir[j] = i }
            }
        }
        let kept = head + reservoir.sorted().map { lines[$0] }
        try FileSystem.writeAtomically(context.output + "/" + p.output, kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n"))
        context.log("sample: kept \(kept.count - head.count) of \(lines.count) lines")
    }
}
