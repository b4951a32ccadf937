import CLoomSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a short command (`sbatch`, `squeue`, `scancel`) to its end and captures what it printed.
/// `posix_spawnp` with pipes, not Foundation's `Process`: one call costs a fork-exec and two
/// reads, and it can be used from any thread.
public enum Command {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
        /// The exit status, or 128 + the signal that killed it.
        public var succeeded: Bool { status == 0 }
    }

    public struct NotFound: Error, CustomStringConvertible {
        public var program: String
        public var errno: Int32
        public var description: String { "cannot run '\(program)': \(String(cString: strerror(errno)))" }
    }

    /// Runs `arguments` (the first is looked up in PATH) with `environment` (nil: this process's),
    /// in `directory` (nil: this process's), stdin from /dev/null. Output past `limit` bytes per
    /// stream is dropped.
    public static func run(_ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                           limit: Int = 16 << 20) throws -> Result {
        let c = try spawn(arguments, environment: environment, directory: directory)
        let (o, e) = drain(c.output, c.errors, limit: limit)
        close(c.output); close(c.errors)
        var status: Int32 = 0
        while waitpid(c.pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
                      output: String(decoding: o, as: UTF8.self), errors: String(decoding: e, as: UTF8.self))
    }

    /// Starts `arguments` as `run` does, without waiting: its pid and the read ends of its stdout
    /// and stderr (close-on-exec pipes, so no child started meanwhile keeps a write end), which
    /// the caller reads, closes, and reaps the pid with `waitpid`.
    public static func spawn(_ arguments: [String], environment: [String: String]? = nil,
                             directory: String? = nil) throws -> (pid: pid_t, output: Int32, errors: Int32) {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard loom_pipe_cloexec(&out) == 0 else { throw NotFound(program: arguments[0], errno: errno) }
        guard loom_pipe_cloexec(&err) == 0 else { close(out[0]); close(out[1]); throw NotFound(program: arguments[0], errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        if let directory { _ = loom_spawn_actions_chdir(&actions, directory) }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let env = environment.map { e in e.keys.sorted().map { strdup("\($0)=\(e[$0]!)") } + [nil] }
        defer { for p in argv { free(p) }; for p in env ?? [] { free(p) } }
        var pid: pid_t = 0
        let rc: Int32
        if let env {
            rc = posix_spawnp(&pid, arguments[0], &actions, nil, argv, env)
        } else {
            rc = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        }
        close(out[1]); close(err[1])
        guard rc == 0 else { close(out[0]); close(err[0]); throw NotFound(program: arguments[0], errno: rc) }
        return (pid, out[0], err[0])
    }

    /// Reads both pipes to their ends (one `poll` loop, so neither can fill up and block the child).
    private static func drain(_ a: Int32, _ b: Int32, limit: Int) -> ([UInt8], [UInt8]) {
        var bufs: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var chunk = [UInt8](repeating: 0, count: 65536)
        var open = 2
        while open > 0 {
            if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
            for k in 0..<2 where fds[k].fd >= 0 && fds[k].revents != 0 {
                let n = read(fds[k].fd, &chunk, chunk.count)
                if n > 0 {
                    if bufs[k].count < limit { bufs[k].append(contentsOf: chunk[0..<min(n, limit - bufs[k].count)]) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    fds[k].fd = -1
                    open -= 1
                }
            }
        }
        return (bufs[0], bufs[1])
    }
}
