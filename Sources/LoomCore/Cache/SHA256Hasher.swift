import CCryptoBoringSSL

/// SHA-256 through BoringSSL's C functions, the code swift-crypto's `SHA256` runs (with the CPU's
/// SHA extensions), without its generic wrapper: the wrapper's first use in a process builds type
/// metadata from mangled names and scans the binary's 9,672 protocol conformances, 0.2-0.3 ms
/// that every run paid on its critical path (a no-op of a 2-task DAG takes about 2 ms in all).
/// `CCryptoBoringSSL` is the C module inside the swift-crypto package Loom depends on; the
/// byte-for-byte agreement with swift-crypto's `SHA256` is tested (`SHA256HasherTests`).
public struct SHA256Hasher {
    private var context = SHA256_CTX()

    public init() { CCryptoBoringSSL_SHA256_Init(&context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        CCryptoBoringSSL_SHA256_Update(&context, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest; the hasher is spent.
    public mutating func finalize() -> Digest {
        var out: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &out) { p in
            _ = CCryptoBoringSSL_SHA256_Final(p.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
        }
        return withUnsafeBytes(of: &out) { Digest(loading: $0.baseAddress!) }
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var h = SHA256Hasher()
        h.update(bytes)
        return h.finalize()
    }
}
