import Foundation

/// A CSV file read as a sequence of tables, one per piece of about `blockSize` bytes (`CSVChunks`
/// cuts them at record boundaries), each typed as `CSV.parse` types the whole file. Concatenated,
/// the pieces' rows are the whole file's rows in order, with the same values, when every column is
/// typed by `types` or `otherColumns` (an inferred column could be numbers in one piece and text in
/// another, so a caller that needs a column's type names it).
///
/// Errors: a piece's error is thrown as soon as it is met. It is not always the error `CSV.parse`
/// gives for the whole file (that one reports a malformed record anywhere before a bad number, and
/// line numbers here count from the piece): callers that must report exactly what the whole-file
/// reader reports read the file that way once this fails (the kinds do; an error is rare, and then
/// the memory of the whole-file read is spent only on the way to the message).
///
/// Memory: one piece's bytes and its table, whatever the file's size.
public struct CSVPieces {
    /// One piece: its rows as a table, and where each row's record starts in the file.
    public struct Piece {
        public var table: Table
        /// With `offsets`: the byte offset in the file of each row's record, then the piece's end
        /// (so row r's bytes are `recordOffsets[r]..<recordOffsets[r + 1]`, with any blank lines
        /// after it). Empty without `offsets`.
        public var recordOffsets: [Int]
        /// The piece's bytes are all ASCII (then `String` equality of its texts is byte equality).
        public var ascii = false
        /// The piece's bytes in the file.
        public var byteCount = 0
    }

    var chunks: CSVChunks
    let file: String
    let types: [String: CSV.ColumnType]
    let otherColumns: CSV.ColumnType?
    let offsets: Bool
    /// The file's bytes up to the end of its header record (after the first piece).
    public var header: [UInt8] { chunks.header ?? [] }

    /// - Parameters: file: the name errors show; offsets: also find each row's byte offset.
    public init(path: String, file: String, types: [String: CSV.ColumnType], otherColumns: CSV.ColumnType?, offsets: Bool = false,
                blockSize: Int = 16 << 20) throws {
        chunks = try CSVChunks(path: path, blockSize: blockSize)
        self.file = file
        self.types = types
        self.otherColumns = otherColumns
        self.offsets = offsets
    }

    /// The next piece, or nil after the last. The first piece may have no rows (a file with only
    /// a header); an empty file throws `CSV.parse`'s error for it.
    public mutating func next() throws -> Piece? {
        guard let chunk = try chunks.next() else { return nil }
        let prefix = chunk.offset == 0 ? [] : header
        let bytes = prefix + chunk.bytes
        let table = try CSV.parse(bytes, file: file, types: types, otherColumns: otherColumns)
        let ascii = Self.isASCII(bytes)
        guard offsets else { return Piece(table: table, recordOffsets: [], ascii: ascii, byteCount: chunk.bytes.count) }
        var starts = try recordStarts(bytes, from: header.count)
        guard starts.count == table.rowCount else {
            throw AnalyticsError.invalidInput(what: "\(file): \(starts.count) records but \(table.rowCount) rows in a piece", expected: "equal counts")
        }
        let shift = chunk.offset - prefix.count
        for k in starts.indices { starts[k] += shift }
        starts.append(chunk.offset + chunk.bytes.count)
        return Piece(table: table, recordOffsets: starts, ascii: ascii, byteCount: chunk.bytes.count)
    }

    /// No byte has its high bit set (eight bytes at a time).
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            let n = raw.count, words = n / 8
            var any: UInt64 = 0
            for k in 0..<words { any |= raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self) }
            for k in (words * 8)..<n { any |= UInt64(raw[k]) }
            return any & 0x8080_8080_8080_8080 == 0
        }
    }

    /// Where the parts of `bytes[from...]` end when each is cut after the first LF at or past
    /// `from + (k + 1) x partBytes` (or at the end): parts that start lines, of a size fixed by the
    /// caller, never by the thread count, so what is computed per part and merged in order is the
    /// same for any number of threads.
    static func partEnds(_ bytes: [UInt8], from: Int, partBytes: Int) -> [Int] {
        var ends: [Int] = []
        var last = from
        while last < bytes.count {
            let target = max(last + 1, from + (ends.count + 1) * partBytes)
            let end = target >= bytes.count ? bytes.count : (bytes[(target - 1)...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count)
            ends.append(end)
            last = end
        }
        return ends
    }

    /// Where each record after `from` starts in `bytes` (a piece that parsed): without quotes every
    /// line with content is one (`CSVChunkedReader`'s rule); with quotes, the serial reader says.
    func recordStarts(_ bytes: [UInt8], from: Int) throws -> [Int] {
        let quoted = bytes.withUnsafeBufferPointer { b in b.count > 0 && memchr(b.baseAddress!, 0x22, b.count) != nil }
        if quoted { return try CSV.rows(bytes, file: file).starts }
        var out: [Int] = []
        bytes.withUnsafeBufferPointer { b in
            let n = b.count
            var line = from
            while line < n {
                let lf = memchr(b.baseAddress! + line, 0x0A, n - line).map { b.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                let end = lf < n && lf > line && b[lf - 1] == 0x0D ? lf - 1 : lf
                if end > line { out.append(line) }
                line = lf + 1
            }
        }
        return out
    }
}
