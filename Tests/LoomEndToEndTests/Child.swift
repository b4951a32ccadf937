import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// A process the tests start and later wait for, by `posix_spawn` and `waitpid` on its own pid
/// (run to its end, tests use LoomCore's `Command.run`).
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

    /// Starts `arguments` (LoomCore's `Command.spawn`: stdin from /dev/null, stdout and stderr
    /// pipes returned to read).
    static func start(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) throws -> (Child, Output, Output) {
        let s = try Command.spawn(arguments, environment: environment, directory: directory)
        let o = FileHandle(fileDescriptor: s.output, closeOnDealloc: true), e = FileHandle(fileDescriptor: s.errors, closeOnDealloc: true)
        // The child holds the read ends too: a caller that drops them (a run started and only
        // waited for) must not close them under the process, which would die writing (EPIPE).
        let c = Child(s.pid)
        c.pipes = [o, e]
        return (c, Output(fileHandleForReading: o), Output(fileHandleForReading: e))
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
