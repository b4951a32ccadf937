/// The machine, not the DAG or a task, stopped a run: the disk is full, a directory cannot be
/// written, the store cannot be read. The run's record is finished (`failed`, with `error`) before
/// this reaches the command line, which exits 6.
public struct EnvironmentFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// The run's record as it was finished, if the run had started one.
    public var run: RunRecord?
    public init(message: String, run: RunRecord?) {
        self.message = message
        self.run = run
    }
    public var description: String { message }
}
