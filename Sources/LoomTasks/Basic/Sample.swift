import Foundation
import LoomAnalytics
import LoomCore

/// `sample`: a seeded random sample of N lines of a file (header kept, order kept).
public enum Sample: TaskKind {
    public struct Params: Codable, Equatable, Sendable {
        public var input: String?
        public var file: String
        public var n: Int
        public var seed: Int
        public var header: Bool
        public var output: String

        public init(from d: Decoder) throws {
            let c = try d.container(keyedBy: CodingKeys.self)
            input = try c.decodeIfPresent(String.self, forKey: .input)
            file = try c.decode(String.self, forKey: .file)
            n = try c.decode(Int.self, forKey: .n)
            seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? 0
            header = try c.decodeIfPresent(Bool.self, forKey: .header) ?? false
            output = try c.decodeIfPresent(String.self, forKey: .output) ?? "sample.txt"
        }
    }

    public static let name = "sample"
    public static let version = 1
    public static let summary = "Takes a seeded random sample of N lines of FILE (from the needed task INPUT, or a declared file), keeping their order."
    public static let params = [
        ParamDoc("file", "string", "the file to sample: inside INPUT's artifact, or a path relative to the project when INPUT is not set"),
        ParamDoc("input", "string", default: "none", "a needed task whose artifact holds FILE"),
        ParamDoc("n", "int", "how many lines to keep"),
        ParamDoc("seed", "int", default: "0", "random seed"),
        ParamDoc("header", "bool", default: "false", "keep the first line and do not sample it"),
        ParamDoc("output", "string", default: "sample.txt", "the file to write"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if p.n < 0 { out.append(ParamProblem(param: "n", "param 'n' must be >= 0, got \(p.n)")) }
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
