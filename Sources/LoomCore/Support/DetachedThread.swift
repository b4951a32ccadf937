import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Starts work on a thread of its own, made with `pthread_create`: its first instruction runs
/// about 35 us after the call, where a block sent to `DispatchQueue.global()` first ran after
/// 90-115 us (the pool's threads start lazily, and the first `async` of a process also sets the
/// pool up on the caller's thread: 40-120 us), and a Foundation `Thread` after 110-145 us. For the
/// few jobs a no-op run starts at once and then waits for (the prelude's reads, the report).
/// The thread has an 8 MiB stack, as the main thread has, and is detached: callers wait through
/// their own group or semaphore. If no thread can be made, the work goes to the pool.
public enum DetachedThread {
    public static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Work(body)).toOpaque()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attr, 8 << 20)
        var thread = pthread_t()
        let made = pthread_create(&thread, &attr, { p in
            Unmanaged<Work>.fromOpaque(p!).takeRetainedValue().body()
            return nil
        }, box)
        if made != 0 {
            Unmanaged<Work>.fromOpaque(box).release()
            DispatchQueue.global().async(execute: body)
        }
    }

    private final class Work: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
