/// Loom's exit codes: documented in the README and stable.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// A task failed (or a built-in kind failed inside `exec-builtin`).
    case taskFailed = 1
    /// Bad command line.
    case usage = 2
    /// The DAG (or data it declares) is invalid: nothing ran.
    case invalid = 3
    /// Another `loom run` holds the project lock.
    case lockBusy = 4
    /// A metric gate (`--fail-if`, `--fail-if-drop`) failed; the run itself completed.
    case gateFailed = 5
    /// The machine failed the run (disk full, permission denied, I/O error); the run record is
    /// finished as failed with the error.
    case environment = 6
    /// Not inside a Loom project: no `loom.yaml` in the start directory or any above it.
    case noProject = 7
    /// `--remote-required` (or `push`/`pull`) and the remote cache cannot be used (down,
    /// refusing the credentials, no such bucket).
    case remoteUnavailable = 8
    /// A bug in Loom.
    case internalError = 70
    /// Interrupted by SIGINT/SIGTERM: running tasks were stopped, the store is consistent.
    case interrupted = 130
}

/// Ends a command with an exit status after its message has been printed (or with `message`).
public struct CLIExit: Error, Sendable {
    public var status: ExitStatus
    public var message: String?
    public init(_ status: ExitStatus, _ message: String? = nil) {
        self.status = status
        self.message = message
    }
}
