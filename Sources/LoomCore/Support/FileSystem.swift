import CLoomSystem
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX file helpers. Loom writes every file that another process may read atomically:
/// a temporary file in the same directory, fsync-free rename into place (rename is atomic on POSIX).
public enum FileSystem {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    public static func fail(_ op: String, _ path: String) -> Failure { Failure(path: path, operation: op, errno: Glibc.errno) }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The path without its last component ("" if it has no `/`).
    public static func parent(of path: String) -> String { path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "" }

    /// mkdir -p.
    public static func makeDirectories(_ path: String) throws {
        if isDirectory(path) { return }
        let parent = Self.parent(of: path)
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && Glibc.errno != EEXIST { throw fail("cannot create directory", path) }
    }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open", path) }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        // Straight into an array of the file's size (no bounce buffer: a no-op run reads a few
        // hundred kilobytes of caches, and every page touched is a page fault).
        let size = Int(st.st_size)
        var complete = false
        var out = try [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while count < size {
                let n = read(fd, buf.baseAddress! + count, size - count)
                if n < 0 { if Glibc.errno == EINTR { continue }; throw fail("cannot read", path) }
                if n == 0 { break }
                count += n
            }
            complete = count == size
        }
        guard complete else { return out }   // the file shrank while being read: what was there
        var buf = [UInt8](repeating: 0, count: 4096)   // (or grew: read on to the end)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if Glibc.errno == EINTR { continue }; throw fail("cannot read", path) }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it into place.
    /// With `trash`, the file this replaces is deleted later, not here (`replace`).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], trash: String? = nil) throws {
        try bytes.withUnsafeBufferPointer { try writeAtomically(path, $0, trash: trash) }
    }

    public static func writeAtomically(_ path: String, _ bytes: UnsafeBufferPointer<UInt8>, trash: String? = nil) throws {
        let tmp = try writeBeside(path, bytes)
        if !replace(AT_FDCWD, tmp, AT_FDCWD, path, trash: trash) { let f = fail("cannot rename into", path); unlink(tmp); throw f }
    }

    /// A new temporary file beside `path` holding `bytes`; its path.
    private static func writeBeside(_ path: String, _ bytes: UnsafeBufferPointer<UInt8>) throws -> String {
        let tmp = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("cannot create", tmp) }
        guard writeAll(fd, bytes) else { close(fd); unlink(tmp); throw fail("cannot write", tmp) }
        close(fd)
        return tmp
    }

    /// `renameat(fromDir, from, toDir, to)`, except that the file `to` names, if any, is not
    /// deleted on this thread: the two names are exchanged (atomically: `to` never goes
    /// missing), the old file is moved into `trash` (a directory on the same file system) and
    /// `Removals` deletes it there. Deleting a file whose blocks are on disk took 0.1-0.4 ms on
    /// the bench machine (ext4 mounted with `discard` and no journal: each freed extent waits
    /// for the device), and a one-input rerun replaced five such files one after another on its
    /// way to the end. Without `trash`, or where names cannot be exchanged, a plain rename.
    /// False with `errno` set if `from` could not be renamed to `to`.
    public static func replace(_ fromDir: Int32, _ from: String, _ toDir: Int32, _ to: String, trash: String?) -> Bool {
        if let trash {
            if loom_renameat2(fromDir, from, toDir, to, UInt32(LOOM_RENAME_EXCHANGE)) == 0 {
                // `from` now names the old file. Moved out of the way (the directory must not
                // keep it: a task's `$LOOM_IN`, a stamped `latest/` directory), deleted later.
                if !discard(fromDir, from, trash: trash) { unlinkat(fromDir, from, 0) }
                return true
            }
            // ENOENT: nothing to replace. EINVAL/ENOSYS: this file system or kernel cannot exchange.
        }
        return renameat(fromDir, from, toDir, to) == 0
    }

    /// Moves `name` (in the open directory `dir`) into `trash` under a name of its own and has
    /// `Removals` delete it there; false if it could not be moved (the caller deletes it).
    public static func discard(_ dir: Int32, _ name: String, trash: String) -> Bool {
        let later = trash + "/replaced.\(getpid()).\(discarded.add(1, ordering: .relaxed).newValue)"
        guard renameat(dir, name, AT_FDCWD, later) == 0 else { return false }
        Removals.later(later)
        return true
    }

    private static let discarded = Atomic<Int>(0)

    public static func writeAtomically(_ path: String, _ text: String, trash: String? = nil) throws {
        var text = text
        try text.withUTF8 { try writeAtomically(path, $0, trash: trash) }
    }

    /// Creates `path` holding `bytes`, failing if it exists, renamed into place: never seen half
    /// written (a run's first record). Where the file system cannot rename without replacing,
    /// a hard link then the temporary name's removal.
    public static func writeNewAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let tmp = try bytes.withUnsafeBufferPointer { try writeBeside(path, $0) }
        if loom_renameat2(AT_FDCWD, tmp, AT_FDCWD, path, UInt32(LOOM_RENAME_NOREPLACE)) == 0 { return }
        if Glibc.errno == EINVAL || Glibc.errno == ENOSYS, link(tmp, path) == 0 { unlink(tmp); return }
        let f = fail("cannot create", path)
        unlink(tmp)
        throw f
    }

    /// Creates `path` holding `bytes`, failing if it exists. For files no reader can see half
    /// written in a way that matters (a run's first report, the files of `loom init`): no rename.
    public static func writeNew(_ path: String, _ bytes: UnsafeBufferPointer<UInt8>) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw fail("cannot create", path) }
        defer { close(fd) }
        guard writeAll(fd, bytes) else { throw fail("cannot write", path) }
    }

    public static func writeNew(_ path: String, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try writeNew(path, $0) }
    }

    public static func writeNew(_ path: String, _ text: String) throws {
        var text = text
        try text.withUTF8 { try writeNew(path, $0) }
    }

    /// Writes all of `bytes` to `fd` (retrying short writes and EINTR); false on an error.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 { if Glibc.errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Whether two files hold the same bytes (nil if either cannot be read).
    public static func sameContents(_ a: String, _ b: String) -> Bool? {
        let fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC)
        defer { if fa >= 0 { close(fa) }; if fb >= 0 { close(fb) } }
        guard fa >= 0, fb >= 0 else { return nil }
        var sa = stat(), sb = stat()
        guard fstat(fa, &sa) == 0, fstat(fb, &sb) == 0 else { return nil }
        if sa.st_size != sb.st_size { return false }
        let size = 1 << 20
        let x = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        let y = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { x.deallocate(); y.deallocate() }
        while true {
            guard let n = readFull(fa, x), let m = readFull(fb, y) else { return nil }
            if n != m || memcmp(x.baseAddress!, y.baseAddress!, n) != 0 { return false }
            if n == 0 { return true }
        }
    }

    /// Reads until the buffer is full or the file ends; nil on an error.
    private static func readFull(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer) -> Int? {
        var got = 0
        while got < buf.count {
            let n = read(fd, buf.baseAddress! + got, buf.count - got)
            if n < 0 { if Glibc.errno == EINTR { continue }; return nil }
            if n == 0 { break }
            got += n
        }
        return got
    }

    /// Gives the file at `path` an inode of its own: its bytes are copied to a new file that
    /// replaces it (its other names, outside, keep the old inode). Mode bits are kept.
    public static func copyFileReplacing(_ path: String) throws {
        let src = open(path, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw fail("cannot open", path) }
        defer { close(src) }
        var st = stat()
        fstat(src, &st)
        let tmp = path + ".loom-copy.\(getpid())"
        let dst = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(st.st_mode & 0o777))
        guard dst >= 0 else { throw fail("cannot create", tmp) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buf.deallocate() }
        while true {
            guard let n = readFull(src, buf) else { close(dst); unlink(tmp); throw fail("cannot read", path) }
            if n == 0 { break }
            guard writeAll(dst, UnsafeBufferPointer(start: buf.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)) else {
                close(dst); unlink(tmp); throw fail("cannot write", tmp)
            }
        }
        close(dst)
        guard rename(tmp, path) == 0 else { let f = fail("cannot replace", path); unlink(tmp); throw f }
    }

    /// Makes `path` an empty directory, keeping the directory itself if it exists (see `writeNew`
    /// on why not to delete and recreate it).
    public static func emptyDirectory(_ path: String) throws {
        guard isDirectory(path) else { return try makeDirectories(path) }
        for name in try listDirectory(path) { removeTree(path + "/" + name) }
    }

    /// rm -rf; directories are made writable first (artifacts are read-only).
    public static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            chmod(path, 0o755)
            for name in (try? listDirectory(path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Names in a directory (no `.`/`..`), sorted by bytes for determinism.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let d = opendir(path) else { throw fail("cannot list", path) }
        defer { closedir(d) }
        var names = [String]()
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { names.append(name) }
        }
        return JSON.sortedByBytes(names)
    }

    /// An absolute, `..`-free form of a path relative to `base` (no symlink resolution).
    public static func absolute(_ path: String, base: String) -> String {
        let joined = Array((path.hasPrefix("/") ? path : base + "/" + path).utf8)
        // Over bytes: every command starts here, and String's generic split is slow the first time.
        var parts: [ArraySlice<UInt8>] = []
        var start = 0
        func component(_ end: Int) {
            let p = joined[start..<end]
            if p.isEmpty || p.elementsEqual([0x2E]) { return }
            if p.elementsEqual([0x2E, 0x2E]) { if !parts.isEmpty { parts.removeLast() } } else { parts.append(p) }
        }
        for i in joined.indices where joined[i] == 0x2F {
            component(i)
            start = i + 1
        }
        component(joined.count)
        var out: [UInt8] = []
        for p in parts { out.append(0x2F); out.append(contentsOf: p) }
        return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    }

    public static var currentDirectory: String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        return getcwd(&buf, buf.count) != nil ? String(cString: buf) : "."
    }
}

/// Deletions taken off a command's way (`FileSystem.replace`), made one after another on a
/// queue of their own. `LoomMain` waits for them before the process exits; a process killed
/// before that leaves the files in the store's `tmp/` (crash debris, safe to delete).
public enum Removals {
    private static let queue = DispatchQueue(label: "loom.removals")
    private static let pending = DispatchGroup()

    /// Deletes the file (or directory tree) at `path` soon, on another thread.
    public static func later(_ path: String) {
        queue.async(group: pending) { if unlink(path) != 0 { FileSystem.removeTree(path) } }
    }

    /// Returns once every deletion asked for so far is done.
    public static func wait() { pending.wait() }
}
