import Foundation
import LoomCore

/// A throwaway directory under /tmp (as in LoomCoreTests).
struct TestDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "loom-remote-test-" + UUID().uuidString
        try? FileSystem.makeDirectories(path)
    }
    func remove() { FileSystem.removeTree(path) }
}

/// A value shared between threads of a test.
final class Locked<T>: @unchecked Sendable {   // `v` under `l`
    private var v: T
    private let l = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { l.lock(); defer { l.unlock() }; return v }
    func mutate(_ f: (inout T) -> Void) { l.lock(); f(&v); l.unlock() }
}
