import Synchronization

/// What a command keeps until the process exits instead of freeing it on the way out, as clang
/// does with `-disable-free`: the kernel takes a process's memory back at once, while freeing a
/// run's graph, scan and reports object by object took about 1 ms at the end of a no-op run of
/// 1,000 tasks. One thing at a time: keeping the next lets the last go (a sweep runs many).
public enum KeptUntilExit {
    private static let kept = Mutex<[any Sendable]>([])

    public static func keep(_ value: any Sendable) {
        let previous = kept.withLock { k -> [any Sendable] in
            let old = k
            k = [value]
            return old
        }
        _ = previous   // freed here, outside the lock
    }
}
