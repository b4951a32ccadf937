import Foundation

/// Fixed-size chunks of rows for parallel loops whose results must not depend on the thread count:
/// the chunk size is a constant (never derived from the number of cores), each chunk writes only its
/// own slots, and callers reduce the per-chunk partial results in chunk order.
enum RowChunks {
    /// Rows per chunk.
    static let size = 4096

    /// Number of chunks covering `rows` rows with chunks of `size` rows.
    static func count(rows: Int, size: Int = RowChunks.size) -> Int { (rows + size - 1) / size }

    /// Calls `body(chunk, rows)` once per chunk, concurrently when there is more than one chunk.
    static func forEach(rows: Int, size: Int = RowChunks.size, _ body: (Int, Range<Int>) -> Void) {
        let chunks = count(rows: rows, size: size)
        if chunks <= 1 {
            for c in 0..<chunks { body(c, (c * size)..<min(rows, (c + 1) * size)) }
        } else {
            Parallel.perform(iterations: chunks) { c in body(c, (c * size)..<min(rows, (c + 1) * size)) }
        }
    }
}
