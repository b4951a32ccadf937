import CLoomSystem
import LoomCore

/// What `loom --version` prints: the release number, and the build (the executable's GNU build
/// ID, a hash the linker computes over the program, so two binaries built from different code
/// never share it; the same ID keys Loom's derived caches, see `BuildIdentity`).
enum LoomVersion {
    /// Bumped by hand at each release; the build ID tells builds between releases apart.
    static let number = "0.1.0"

    /// The GNU build ID as lowercase hex, or nil for an executable linked without one.
    static var buildID: String? {
        var id = [UInt8](repeating: 0, count: 64)
        let n = Int(loom_build_id(&id, Int32(id.count)))
        guard n > 0 else { return nil }
        // Not bytes mapped to Strings and `joined()`: that instantiated generic metadata and
        // searched the conformance tables, 60% of `loom --version`'s own time (perf), and every
        // `loom run` asks for the build ID for its record.
        return Hex.lowercase(id[0..<n])
    }

    /// `loom 0.1.0 (build 8c1f...)`, or `(build unknown: no GNU build ID)`.
    static var text: String {
        "loom \(number) (build \(buildID ?? "unknown: no GNU build ID"))"
    }
}
