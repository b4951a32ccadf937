import Foundation

/// The git state of a project at the start of a run: the commit checked out, the branch, and
/// whether the work tree had uncommitted changes.
///
/// The commit and branch are read from `.git` directly (HEAD, the ref file, `packed-refs`): a few
/// small reads, no process, so a no-op run pays microseconds for them. Whether the tree is dirty
/// needs git's own comparison of every tracked file with the index (`git status`: a process, a
/// few to tens of milliseconds), so it is asked only when a task is about to run (see
/// `DirtyCheck`); a run in which no task ran leaves `dirty` unknown and says why in `dirtyNote`.
/// Nothing here fails a run: no git repository, no commits, no `git` executable and a damaged
/// `.git` all end as a value that says so.
public struct GitState: Sendable, Equatable {
    /// The commit HEAD points at (hex); nil in a repository without commits or with an unreadable HEAD.
    public var commit: String?
    /// The branch checked out; nil when HEAD is detached (or unreadable).
    public var branch: String?
    /// Whether tracked files differ from the commit (staged or not; untracked files do not count,
    /// as in `git describe --dirty`); nil when not known, `dirtyNote` says why.
    public var dirty: Bool?
    /// Why `commit` is nil (`no commits yet`, `HEAD unreadable: ...`).
    public var commitNote: String?
    /// Why `dirty` is nil (`not checked: no task ran`, `git is not installed`, ...).
    public var dirtyNote: String?

    /// The branch, `detached HEAD` for a commit without one, nil when neither is known.
    public var branchText: String? { branch ?? (commit != nil ? "detached HEAD" : nil) }

    public init(commit: String? = nil, branch: String? = nil, dirty: Bool? = nil, commitNote: String? = nil, dirtyNote: String? = nil) {
        self.commit = commit
        self.branch = branch
        self.dirty = dirty
        self.commitNote = commitNote
        self.dirtyNote = dirtyNote
    }

    /// Where a repository's files are: the work tree (holding `.git`), the git directory (a
    /// worktree's own, for HEAD) and the common directory (refs and packed-refs).
    public struct Repository: Sendable, Equatable {
        public var workTree: String
        public var gitDir: String
        public var commonDir: String

        /// The repository holding `directory`: the first `.git` (directory, or a file
        /// `gitdir: PATH` as in linked worktrees and submodules) in it or a directory above it.
        public static func find(from directory: String) -> Repository? {
            var dir = directory
            while true {
                let dotGit = dir + "/.git"
                if FileSystem.isDirectory(dotGit) { return Repository(workTree: dir, gitDir: dotGit) }
                if FileSystem.exists(dotGit) {
                    guard let text = line(dotGit), text.hasPrefix("gitdir:") else { return nil }
                    let path = trimmed(String(text.dropFirst("gitdir:".count)))
                    return Repository(workTree: dir, gitDir: FileSystem.absolute(path, base: dir))
                }
                if dir.isEmpty || dir == "/" { return nil }
                dir = FileSystem.parent(of: dir)
            }
        }

        init(workTree: String, gitDir: String) {
            self.workTree = workTree
            self.gitDir = gitDir
            let common = line(gitDir + "/commondir")
            commonDir = common.map { FileSystem.absolute($0, base: gitDir) } ?? gitDir
        }
    }

    /// The commit and branch of the repository holding `directory` (nil if there is none), read
    /// without running git; `dirty` is left unknown.
    public static func read(from directory: String) -> GitState? {
        guard let repo = Repository.find(from: directory) else { return nil }
        return read(repo)
    }

    static func read(_ repo: Repository) -> GitState {
        guard var text = line(repo.gitDir + "/HEAD") else {
            return GitState(commitNote: "HEAD unreadable: no file \(repo.gitDir)/HEAD")
        }
        guard text.hasPrefix("ref:") else {
            return isObjectName(text) ? GitState(commit: text) : GitState(commitNote: "HEAD unreadable: '\(text.prefix(80))'")
        }
        var ref = trimmed(String(text.dropFirst(4)))
        let branch = ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
        // A symbolic ref may point at another; five levels is more than git itself makes.
        for _ in 0..<5 {
            guard let value = resolve(ref, in: repo) else { return GitState(branch: branch, commitNote: "no commits yet") }
            text = value
            guard text.hasPrefix("ref:") else { break }
            ref = trimmed(String(text.dropFirst(4)))
        }
        guard isObjectName(text) else { return GitState(branch: branch, commitNote: "\(ref) unreadable: '\(text.prefix(80))'") }
        return GitState(commit: text, branch: branch)
    }

    /// A ref's value: its loose file (worktree-private first, then shared), else its line in packed-refs.
    private static func resolve(_ ref: String, in repo: Repository) -> String? {
        // A ref name never climbs out of the git directory.
        guard !ref.split(separator: "/").contains(".."), !ref.hasPrefix("/") else { return nil }
        for dir in [repo.gitDir, repo.commonDir] {
            if let value = line(dir + "/" + ref), !value.isEmpty { return value }
        }
        guard let packed = try? FileSystem.readText(repo.commonDir + "/packed-refs") else { return nil }
        for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, trimmed(String(parts[1])) == ref { return String(parts[0]) }
        }
        return nil
    }

    /// A small file's text without surrounding ASCII white space; nil if it cannot be read.
    static func line(_ path: String) -> String? { (try? FileSystem.readBytes(path)).map { trimmed(String(decoding: $0, as: UTF8.self)) } }

    /// `s` without leading and trailing ASCII white space (by bytes: Foundation's character sets
    /// cost more than the reads they would follow on a no-op run).
    static func trimmed(_ s: String) -> String {
        let u = Array(s.utf8)
        func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var lo = 0, hi = u.count
        while lo < hi && space(u[lo]) { lo += 1 }
        while hi > lo && space(u[hi - 1]) { hi -= 1 }
        return lo == 0 && hi == u.count ? s : String(decoding: u[lo..<hi], as: UTF8.self)
    }

    /// 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
    static func isObjectName(_ s: String) -> Bool {
        (s.utf8.count == 40 || s.utf8.count == 64) && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Whether the work tree holding `directory` has changes to tracked files, asking
    /// `git status --porcelain --untracked-files=no` (with `GIT_OPTIONAL_LOCKS=0`, so that it never
    /// writes the index under a user's feet). Returns the answer, or nil and why not.
    public static func checkDirty(_ workTree: String, git: String? = findExecutable("git")) -> (dirty: Bool?, note: String?) {
        guard let git else { return (nil, "git is not installed (no git on PATH)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: git)
        p.arguments = ["-C", workTree, "status", "--porcelain", "--untracked-files=no"]
        var env = ProcessInfo.processInfo.environment
        env["GIT_OPTIONAL_LOCKS"] = "0"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (nil, "cannot run \(git): \(error)") }
        // Read both pipes before waiting: a large status would otherwise fill one and block git.
        let errText = ErrorText()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errText.set(err.fileHandleForReading.readDataToEndOfFile()) }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let first = String(decoding: errText.get(), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            return (nil, "git status failed (exit \(p.terminationStatus))" + (first.isEmpty ? "" : ": \(first)"))
        }
        return (!output.isEmpty, nil)
    }

    /// The first executable file named `name` in a directory of `$PATH`.
    public static func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for dir in (path ?? "").split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 && !FileSystem.isDirectory(candidate) { return candidate }
        }
        return nil
    }
}

/// git's standard error, read on another thread (`lock` guards `data`).
private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Asks `git status` once, when the first task of a run is about to start (tasks may change the
/// tree; a run where nothing runs never asks). Safe from any thread: `lock` guards `result`.
public final class DirtyCheck: @unchecked Sendable {
    private let lock = NSLock()
    private let workTree: String
    private var result: (dirty: Bool?, note: String?)?

    public init(workTree: String) { self.workTree = workTree }

    /// Runs the check unless it ran already.
    public func run() {
        lock.lock()
        defer { lock.unlock() }
        if result == nil { result = GitState.checkDirty(workTree) }
    }

    /// The answer, or "not checked" if no task started.
    public var outcome: (dirty: Bool?, note: String?) {
        lock.lock()
        defer { lock.unlock() }
        return result ?? (nil, "not checked: no task ran")
    }
}
