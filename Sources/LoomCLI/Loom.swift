import ArgumentParser
import Foundation
import LoomCore

struct Loom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "A reproducible DAG runner: content-addressed artifacts, stale-only reruns with reasons, parallel tasks.",
        discussion: "Every command acts on the project found by walking up from the current directory (or -C DIR, before or after the command's name) to loom.yaml.\n\nExit codes: 0 ok, 1 a task failed, 2 usage, 3 invalid DAG, data or project file, 4 project lock busy, 5 a metric gate failed, 6 environment failure (disk full, permissions), 7 not inside a Loom project, 8 remote cache unavailable (--remote-required, push, pull), 70 internal error, 130 interrupted.",
        subcommands: [Init.self, Run.self, Rerun.self, Status.self, Runs.self, Show.self, Diff.self, Logs.self, PathCommand.self, Ls.self, DagCommand.self, Verify.self, GC.self, DU.self, Kinds.self, ExecBuiltin.self, ExecJob.self, RemoteCommand.self, Push.self, Pull.self])

    @OptionGroup var project: ProjectOptions
    @Flag(help: "Print the version and build (the executable's GNU build ID) and exit.") var version = false

    func run() throws {
        if version { Console().out(LoomVersion.text); return }
        throw CleanExit.helpRequest(self)
    }
}

/// The whole CLI as a function: arguments in, exit status out (testable in-process).
public enum LoomMain {
    public static func run(_ arguments: [String]) -> Int32 {
        let console = Console()
        // Damaged caches found on the way (ignored and rebuilt): said once, at the end.
        Stats.mark("main")
        defer {
            Removals.wait()   // files replaced on the way, deleted off it (`FileSystem.replace`)
            for n in Notices.take() { console.err("warning: \(n)") }
            Stats.mark("exit")
            if let line = Stats.report() { console.err(line) }
        }
        let arguments = GlobalArguments.hoisted(arguments)
        do {
            // Read by hand: a version check should not pay for the parser's reflection.
            if arguments == ["--version"] { console.out(LoomVersion.text); return ExitStatus.ok.rawValue }
            if let fast = FastArguments.parse(arguments) {
                switch fast {
                case .run(let r): try r.run()
                case .status(let s): try s.run()
                }
                return ExitStatus.ok.rawValue
            }
            if let word = arguments.first, !word.hasPrefix("-"), word != "help" {
                let names = Loom.configuration.subcommands.compactMap { $0.configuration.commandName }
                if !names.contains(word) {
                    let shown = names.filter { n in !["exec-builtin", "exec-job"].contains(n) }
                    let hint = Suggestion.closest(to: word, in: shown).map { " (did you mean '\($0)'?)" } ?? ""
                    throw CLIExit(.usage, "unknown command '\(word)'\(hint); commands: \(shown.joined(separator: ", "))")
                }
            }
            var command = try Loom.parseAsRoot(arguments)
            try command.run()
            return ExitStatus.ok.rawValue
        } catch let e as CLIExit {
            if let m = e.message { console.err(e.status == .taskFailed || e.status == .interrupted ? m : "error: \(m)") }
            return e.status.rawValue
        } catch let e as DiagnosticError {
            console.err(DiagnosticRenderer().render(e.diagnostics).trimmingTrailingNewline)
            return ExitStatus.invalid.rawValue
        } catch let e as InternalError {
            console.err(e.description)
            return ExitStatus.internalError.rawValue
        } catch let e as EnvironmentFailure {
            console.err("error: \(e.message)" + (e.run.map { "\n  the run \($0.id) is recorded as failed" } ?? ""))
            return ExitStatus.environment.rawValue
        } catch let e as FileSystem.Failure {
            // Reading and writing Loom's own files failed: the machine, not the DAG.
            console.err("error: \(e)")
            return ExitStatus.environment.rawValue
        } catch let e as GateCheck.Problem {
            console.err("error: \(e)")
            return ExitStatus.usage.rawValue
        } catch let e as RunQuery.Problem {
            console.err("error: \(e)")
            return ExitStatus.usage.rawValue
        } catch let e as RunStore.Damaged {
            console.err("error: \(e)")
            return ExitStatus.invalid.rawValue
        } catch let e as TreeListing.Problem {
            console.err("error: \(e)")
            return ExitStatus.invalid.rawValue
        } catch {
            let code = Loom.exitCode(for: error)
            let message = Loom.fullMessage(for: error)
            if code == .success {
                console.out(message)
                return 0
            }
            if error is ExitCode { return code.rawValue }
            console.err(message)
            return ExitStatus.usage.rawValue
        }
    }
}
