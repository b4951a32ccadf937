import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A task's `$LOOM_IN`: `artifacts/inputs/<dag>/<task>/<need>` -> the need's artifact. Kept
/// between runs and updated in place: a link is replaced (new link, then rename over the old one)
/// only when its artifact changed, and links of needs that are gone are removed. Tasks see it
/// read-only (it is inside the store).
public enum InputLinks {
    public static func update(_ dir: String, _ links: [(name: String, path: String)]) throws {
        try FileSystem.makeDirectories(dir)
        let wanted = Set(links.map(\.name))
        for name in (try? FileSystem.listDirectory(dir)) ?? [] where !wanted.contains(name) { FileSystem.removeTree(dir + "/" + name) }
        // Links are read and written relative to the open directory, into one reused buffer per
        // chunk, compared as bytes: a join of 1,000 tasks reads 1,000 links on every rerun, which
        // took 8.6 ms of CPU with a full path, a 4 KiB array and a String per link.
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.fail("cannot open", dir) }
        defer { close(fd) }
        // Which links are already right: read in parallel chunks; the few that changed are
        // replaced after.
        let right = Slots<Bool>(count: links.count)
        let chunk = 128, chunks = (links.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var buf = [UInt8](repeating: 0, count: 4096)
            for k in (c * chunk)..<min(links.count, (c + 1) * chunk) {
                let n = buf.withUnsafeMutableBytes { readlinkat(fd, links[k].name, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
                right[k] = n >= 0 && n < buf.count && buf[0..<n].elementsEqual(links[k].path.utf8)
            }
        }
        for (k, (name, path)) in links.enumerated() where right[k] != true {
            let tmp = name + ".new"
            unlinkat(fd, tmp, 0)
            guard symlinkat(path, fd, tmp) == 0, renameat(fd, tmp, fd, name) == 0 else { throw FileSystem.fail("cannot link input", dir + "/" + name) }
        }
    }
}
