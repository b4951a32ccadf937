#if canImport(Glibc)
import Glibc
#endif

/// A task's `$LOOM_IN`: `artifacts/inputs/<dag>/<task>/<need>` -> the need's artifact. Kept
/// between runs and updated in place: a link is replaced (new link, then rename over the old one)
/// only when its artifact changed, and links of needs that are gone are removed. Tasks see it
/// read-only (it is inside the store).
enum InputLinks {
    static func update(_ dir: String, _ links: [(name: String, path: String)]) throws {
        try FileSystem.makeDirectories(dir)
        let wanted = Set(links.map(\.name))
        for name in (try? FileSystem.listDirectory(dir)) ?? [] where !wanted.contains(name) { FileSystem.removeTree(dir + "/" + name) }
        for (name, path) in links {
            let link = dir + "/" + name
            if TreeListing.readLink(link) == path { continue }
            let tmp = link + ".new"
            unlink(tmp)
            guard symlink(path, tmp) == 0, rename(tmp, link) == 0 else { throw FileSystem.fail("cannot link input", link) }
        }
    }
}
