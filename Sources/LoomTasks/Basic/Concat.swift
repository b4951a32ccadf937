import Foundation
import LoomCore

/// `concat`: joins one file from each needed task's artifact, in `needs` order, into one file.
public enum Concat: TaskKind {
    public struct Params: Decodable, Sendable {
        public var file: String
        public var output: String
    }

    public static let name = "concat"
    public static let version = 1
    public static let summary = "Concatenates FILE from every needed task's artifact, in needs order, into OUTPUT."
    public static let params = [
        ParamSpec("file", .string, .required, "the file to take from each input artifact"),
        ParamSpec("output", .string, "concat.txt", "the file to write"),
    ]

    public static func validate(_ p: Params) -> [ParamProblem] {
        var out: [ParamProblem] = []
        if GraphBuilder.outputPath(p.output) == nil {
            out.append(ParamProblem(param: "output", "output path '\(p.output)' would escape $LOOM_OUT (use a relative path without '..')"))
        }
        if GraphBuilder.outputPath(p.file) == nil {
            out.append(ParamProblem(param: "file", "'\(p.file)' must be a relative path inside each input artifact"))
        }
        return out
    }

    public static func run(_ p: Params, context: TaskContext) throws {
        guard !context.inputs.isEmpty else { throw KindError("concat needs at least one task in 'needs'") }
        var bytes: [UInt8] = []
        for input in context.inputs {
            let path = input.path + "/" + p.file
            guard FileSystem.exists(path) else { throw KindError("input '\(input.name)' has no file '\(p.file)'") }
            bytes += try FileSystem.readBytes(path)
        }
        try FileSystem.writeAtomically(context.output + "/" + p.output, bytes)
        context.log("concat: \(context.inputs.count) files, \(bytes.count) bytes")
    }
}
