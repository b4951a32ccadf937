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
        // Which links are already right: read in parallel chunks (a join of 1,000 tasks reads
        // 1,000 links on every rerun); the few that changed are replaced after.
        let right = Slots<Bool>(count: links.count)
        let chunk = 128, chunks = (links.count + chunk - 1) / chunk
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for k in (c * chunk)..<min(links.count, (c + 1) * chunk) {
                right[k] = TreeListing.readLink(dir + "/" + links[k].name) == links[k].path
            }
        }
        for (k, (name, path)) in links.enumerated() where right[k] != true {
            let link = dir + "/" + name
            let tmp = link + ".new"
            unlink(tmp)
            guard symlink(path, tmp) == 0, rename(tmp, link) == 0 else { throw FileSystem.fail("cannot link input", link) }
        }
    }
}
