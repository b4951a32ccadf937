import ArgumentParser
import Foundation
import LoomCore

/// Internal: runs one node job (`NodeJob`) where a cluster scheduler started it, under the same
/// supervisor as a local run, and writes how it ended to the job's outcome file. Exits with the
/// task's exit status (128 + the signal for a killed task, 1 when it could not start).
struct ExecJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-job", abstract: "Internal: run one cluster job file on its node.", shouldDisplay: false)

    @Argument var jobFile: String

    func run() throws {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readBytes(jobFile) } catch { throw CLIExit(.environment, "loom exec-job: \(error)") }
        guard let j = try? JSON.parse(bytes), let spec = NodeJob(json: j) else {
            throw CLIExit(.invalid, "loom exec-job: \(jobFile) is not a \(NodeJob.format) file")
        }
        let runner = ProcessRunner()
        let job = Job(task: TaskID("job"), attempt: 1, arguments: spec.arguments, environment: ProcessInfo.processInfo.environment,
                      workingDirectory: spec.workingDirectory, logPath: spec.logPath, timeout: spec.timeout, fence: spec.fence)
        let ended = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        let handle = runner.start(job) { o in box.set(o); ended.signal() }
        // scancel and Slurm's time limit send SIGTERM: stop the task's processes, then report.
        let sources = [SIGTERM, SIGINT, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { handle.cancel() }
            s.resume()
            return s
        }
        ended.wait()
        for s in sources { s.cancel() }
        let outcome = box.get() ?? .couldNotStart("no outcome")
        do {
            try FileSystem.writeAtomically(spec.outcomePath, NodeOutcome(outcome: outcome, note: runner.isolationNote).json.encoded())
        } catch {
            throw CLIExit(.environment, "loom exec-job: cannot write the outcome: \(error)")
        }
        switch outcome {
        case .succeeded: return
        case .exited(let c): Foundation.exit(c)
        case .signalled(let s): Foundation.exit(128 + s)
        default: Foundation.exit(1)
        }
    }
}

private final class OutcomeBox: @unchecked Sendable {   // `value` under `lock`
    private let lock = NSLock()
    private var value: JobOutcome?
    func set(_ o: JobOutcome) { lock.lock(); value = o; lock.unlock() }
    func get() -> JobOutcome? { lock.lock(); defer { lock.unlock() }; return value }
}
