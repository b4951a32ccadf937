import CLoomSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the tests start and later wait for, by `posix_spawn` and `waitpid` on its own pid.
/// Foundation's `Process` is not used: its `waitUntilExit` waits for a SIGCHLD notice, and once in
/// a full run that notice never came (the child a zombie, the test waiting for ever: seen twice,
/// in `RemoteTests.server` and in a cron test).
final class Child: @unchecked Sendable {   // the status is written once, by the thread that waits
    /// The read end of a child's stdout or stderr.
    struct Output {
        let fileHandleForReading: FileHandle
    }

    let processIdentifier: pid_t
    private var status: Int32?
    private var pipes: [FileHandle] = []

    /// Starts `arguments[0]` (a path) in `directory` with `environment` (nil: this process's),
    /// stdin from /dev/null; its stdout and stderr are pipes returned to read, or one pipe for both
    /// when `mergeErrors`.
    static func start(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
                      mergeErrors: Bool = false) throws -> (Child, Output, Output) {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        // Close-on-exec, so that no other child started meanwhile keeps a write end open.
        guard loom_pipe_cloexec(&out) == 0, loom_pipe_cloexec(&err) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeErrors ? out[1] : err[1], 2)
        if let directory { _ = loom_spawn_actions_chdir(&actions, directory) }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let env = environment.map { e in e.keys.sorted().map { strdup("\($0)=\(e[$0]!)") } + [nil] }
        defer { for p in argv { free(p) }; for p in env ?? [] { free(p) } }
        var pid: pid_t = 0
        let rc = env.map { posix_spawn(&pid, arguments[0], &actions, nil, argv, $0) } ?? posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(out[0])
            close(err[0])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .ENOENT)
        }
        let o = FileHandle(fileDescriptor: out[0], closeOnDealloc: true), e = FileHandle(fileDescriptor: err[0], closeOnDealloc: true)
        // The child holds the read ends too: a caller that drops them (a run started and only
        // waited for) must not close them under the process, which would die writing (EPIPE).
        let c = Child(pid)
        c.pipes = [o, e]
        return (c, Output(fileHandleForReading: o), Output(fileHandleForReading: e))
    }

    /// Runs to the end; returns the exit status and what it printed (stderr after stdout).
    static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let (c, out, _) = try start(arguments, in: directory, environment: environment, mergeErrors: true)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        c.waitUntilExit()
        return (c.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    private init(_ pid: pid_t) { processIdentifier = pid }

    func waitUntilExit() {
        guard status == nil else { return }
        var st: Int32 = 0
        while waitpid(processIdentifier, &st, 0) < 0 && errno == EINTR {}
        status = st
    }

    /// The exit code, or the signal that ended it (as Foundation's `Process` reports it).
    var terminationStatus: Int32 {
        guard let st = status else { return -1 }
        return st & 0x7f == 0 ? (st >> 8) & 0xff : st & 0x7f
    }
}
