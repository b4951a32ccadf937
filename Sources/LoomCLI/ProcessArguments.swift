#if canImport(Glibc)
import Glibc
#endif

/// The process's arguments, read from `argv` in a loop: the standard library's
/// `CommandLine.arguments` builds them through a generic `map`, 0.05 ms of first-use type lookups
/// in every command (perf, 300 no-op runs).
public enum ProcessArguments {
    public static let all: [String] = {
        var out: [String] = []
        let n = Int(CommandLine.argc)
        out.reserveCapacity(n)
        for i in 0..<n {
            if let p = CommandLine.unsafeArgv[i] { out.append(String(cString: p)) }
        }
        return out
    }()

    /// The command line as typed, for run records and the lock file: joined by hand (the generic
    /// `joined` costs 0.2 ms of first-use type lookups in every run).
    public static let commandLine: String = {
        var line = ""
        for (i, a) in all.enumerated() {
            if i > 0 { line += " " }
            line += a
        }
        return line
    }()
}
