import Dispatch

/// Per-item work too small to be an iteration of its own (a `stat`, a seal check, a readlink):
/// `0..<count` cut into ranges of `size` indices, the ranges run on `concurrentPerform`'s threads.
enum Chunks {
    static func forEach(_ count: Int, size: Int, _ body: @Sendable (Range<Int>) -> Void) {
        DispatchQueue.concurrentPerform(iterations: (count + size - 1) / size) { c in
            body((c * size)..<min(count, (c + 1) * size))
        }
    }
}
