import CLoomSystem

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
        return id.prefix(n).map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
    }

    /// `loom 0.1.0 (build 8c1f...)`, or `(build unknown: no GNU build ID)`.
    static var text: String {
        "loom \(number) (build \(buildID ?? "unknown: no GNU build ID"))"
    }
}
