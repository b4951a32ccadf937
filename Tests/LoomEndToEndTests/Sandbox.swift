import Foundation
import LoomCore

/// A temporary project directory in which the real `loom` binary runs.
final class Sandbox: @unchecked Sendable {
    let root: String

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Progress lines without their timestamps (output is not a TTY in tests).
        var lines: [String] { stdout.split(separator: "\n").map { Output.untimed(String($0)) } }
        /// stderr with the timestamps of a run's lines taken off.
        var errors: String { stderr.split(separator: "\n", omittingEmptySubsequences: false).map { Output.untimed(String($0)) }.joined(separator: "\n") }

        /// stdout without `loom status`'s cost estimate (its figures depend on how long earlier
        /// runs took; `CostEstimateDagTests` checks it).
        var withoutEstimate: String {
            stdout.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("estimate: ") && !$0.hasPrefix("          no history for ") }.joined(separator: "\n")
        }

        static func untimed(_ s: String) -> String {
            s.count > 21 && s.dropFirst(20).hasPrefix(" ") && s.hasPrefix("20") && s.dropFirst(19).hasPrefix("Z") ? String(s.dropFirst(21)) : s
        }
    }

    static var binary: String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for p in [".build/debug/loom", ".build/x86_64-unknown-linux-gnu/debug/loom", ".build/aarch64-unknown-linux-gnu/debug/loom", ".build/release/loom"] {
            if FileManager.default.isExecutableFile(atPath: packageRoot + "/" + p) { return packageRoot + "/" + p }
        }
        return packageRoot + "/.build/debug/loom"
    }

    /// A sandbox in an existing directory (a mount point): its contents are removed at the end.
    init(root: String) {
        self.root = root
        try? FileManager.default.createDirectory(atPath: root + "/dags", withIntermediateDirectories: true)
        markAsProject()
    }

    init() {
        root = NSTemporaryDirectory() + "loom-e2e-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root + "/dags", withIntermediateDirectories: true)
        markAsProject()
    }

    /// An unmarked sandbox: `dags/` only, no `loom.yaml` (for tests of finding the project).
    init(marked: Bool) {
        root = NSTemporaryDirectory() + "loom-e2e-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root + "/dags", withIntermediateDirectories: true)
        if marked { markAsProject() }
    }

    /// Writes the project file `loom init` writes, so that loom finds the project here.
    func markAsProject() { write("loom.yaml", "loom: 1\n") }

    deinit { FileSystem.removeTree(root) }

    func write(_ rel: String, _ text: String) {
        let p = root + "/" + rel
        try? FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? text.write(toFile: p, atomically: true, encoding: .utf8)
    }

    func read(_ rel: String) -> String? { try? String(contentsOfFile: root + "/" + rel, encoding: .utf8) }

    /// Extra environment for every loom started (e.g. LOOM_ISOLATION=none).
    var environment: [String: String] = [:]
    /// Run loom as this unprivileged uid/gid (via setpriv), from a copy of the binary inside the
    /// sandbox, which is handed to that user.
    var user: UInt32?

    /// Makes the sandbox an unprivileged user's project (`nobody`), with its own copy of loom.
    func becomeUnprivileged(uid: UInt32 = 65534) {
        try? FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        Self.copyClosedOnExec(Self.binary, root + "/bin/loom")
        chmod(root, 0o755)
        func own(_ p: String) {
            chown(p, uid, uid)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? [] where FileSystem.isDirectory(p + "/" + name) || true {
                let c = p + "/" + name
                if FileSystem.isDirectory(c) { own(c) } else { chown(c, uid, uid) }
            }
        }
        own(root)
        user = uid
    }

    /// Copies a file through descriptors closed on exec. A copy's write descriptor inherited by a
    /// child another test started meanwhile (fork, then exec) made running the copy fail with
    /// "Text file busy" (ETXTBSY) once in a full run.
    static func copyClosedOnExec(_ from: String, _ to: String) {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { return }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard dst >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = Glibc.read(src, &buf, buf.count)
            if n <= 0 { break }
            _ = buf.withUnsafeBytes { Glibc.write(dst, $0.baseAddress!, n) }
        }
        close(dst)
    }

    /// Starts loom without waiting.
    func start(_ args: [String], in directory: String? = nil) throws -> (Child, Child.Output, Child.Output) {
        let argv = user.map { ["/usr/bin/setpriv", "--reuid=\($0)", "--regid=\($0)", "--clear-groups", root + "/bin/loom"] + args } ?? [Self.binary] + args
        let env = environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 }
        return try Child.start(argv, in: directory ?? root, environment: env)
    }

    @discardableResult
    func loom(_ args: String...) throws -> Output { try loom(args) }

    /// Runs loom started in `directory` (absolute, or relative to the sandbox), not the sandbox root.
    func loom(in directory: String, _ args: String...) throws -> Output {
        try loom(args, in: directory.hasPrefix("/") ? directory : root + "/" + directory)
    }

    func loom(_ args: [String], in directory: String? = nil) throws -> Output {
        // Even closed on exec, the copy's write descriptor lives in a child forked by another
        // test until that child execs: a few microseconds in which running it fails with
        // ETXTBSY (setpriv says so and exits 126). That is the test harness, not loom: try again.
        for attempt in 0..<5 {
            let (p, out, err) = try start(args, in: directory)
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            let result = Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
            if user != nil, attempt < 4, (result.status == 126 || result.status == 127), result.stderr.contains("Text file busy") { usleep(50_000); continue }
            return result
        }
        fatalError("unreachable")
    }

    /// The artifact digest of each task from the DAG's build state.
    func artifacts(dag: String = "t") -> [String: String] {
        var out: [String: String] = [:]
        for line in (read("artifacts/state/\(dag).tsv") ?? "").split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t")
            if f.count == 3 { out[String(f[0])] = String(f[2]) }
        }
        return out
    }

    /// The newest run record.
    func lastRun() throws -> RunRecord {
        let store = RunStore(root: root + "/experiments")
        guard let id = store.ids().last else { throw InternalError("no runs") }
        return try store.load(id)
    }
}

/// Lines of `lines` that start with `prefix` followed by spaces and `name`.
func has(_ out: Sandbox.Output, _ verb: String, _ task: String) -> Bool {
    out.lines.contains { $0.hasPrefix(verb) && $0.split(separator: " ").dropFirst().first.map(String.init) == task }
}

/// Whether a process exists and is not a zombie (PID 1 in a container may never reap orphans).
func isAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return !stat[close...].hasPrefix(") Z")
}
