import ArgumentParser
import LoomAnalytics
import LoomCore
import LoomTasks

/// Internal: runs one built-in job in this process (the engine starts it as a child process).
struct ExecBuiltin: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-builtin", abstract: "Internal: run one built-in task job file.", shouldDisplay: false)

    @Argument var jobFile: String

    func run() throws {
        let invocation = try BuiltinInvocation(file: jobFile)
        do {
            try invocation.run(registry: BuiltinKinds.registry)
        } catch let e as AnalyticsError {
            // Bad data already reads `file:line:column: error: ...`, as editors parse it.
            if case .badData = e { throw CLIExit(.taskFailed, "\(e)") }
            throw CLIExit(.taskFailed, "\(invocation.kind): \(e)")
        } catch {
            throw CLIExit(.taskFailed, "\(invocation.kind): \(error)")
        }
    }
}
