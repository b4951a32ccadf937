#if canImport(Glibc)
import Glibc
#endif

/// One environment variable, read with `getenv`. `ProcessInfo.processInfo.environment` builds a
/// dictionary of the whole environment, and the first one a process builds costs about a
/// millisecond (the runtime instantiates `[String: String]` and looks up its conformances in a
/// binary of this size), which a no-op run or `loom --version` would notice.
public enum Environment {
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
