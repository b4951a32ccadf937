import Foundation

/// A CSV file read in pieces that end at record boundaries, so that a reader holds one piece at a
/// time instead of the file (a 20-million-event log is 2.6 GB of text, and many times that as
/// strings).
///
/// Boundaries are found by the state machine `CSV.rows` parses with: a quote opens a quoted field
/// only at the field's first byte (after a UTF-8 byte order mark at the file's start), a doubled
/// quote inside quotes is a quote, and a record ends at LF (or CRLF) outside quotes. So each piece,
/// parsed after the header's bytes (`header`), gives exactly the records `CSV.rows` gives for the
/// whole file. The first piece holds the header record and anything before it (blank lines); a
/// quote that never closes makes the rest of the file one piece, where `CSV.rows` reports or skips
/// it as it would in the whole file.
public struct CSVChunks {
    /// One piece: its bytes, the 1-based line of the file it starts on and its byte offset in the file.
    public struct Chunk { public var bytes: [UInt8]; public var firstLine: Int; public var offset = 0 }

    let handle: FileHandle
    let blockSize: Int
    var buffer: [UInt8] = []
    var atEOF = false
    var emitted = false
    /// Bytes of the file before `buffer`, and the newlines among them.
    var offset = 0
    var newlines = 0
    /// The file's bytes up to the end of the header record (blank lines and a byte order mark before
    /// it included): what each later piece is parsed after. Nil until the first piece is read.
    public private(set) var header: [UInt8]?

    /// - Parameter blockSize: bytes read at a time; a piece ends at the first boundary at or after
    ///   it (or at the end of the file).
    public init(path: String, blockSize: Int = 16 << 20) throws {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw AnalyticsError.invalidInput(what: "cannot read \(path)", expected: "an existing, readable CSV file")
        }
        handle = h
        self.blockSize = max(1, blockSize)
    }

    /// The next piece, or nil after the last. The first call always returns a piece (empty for an
    /// empty file, so that the parser reports it).
    public mutating func next() throws -> Chunk? {
        while true {
            let cut = boundary()
            if let cut, cut >= blockSize || (atEOF && cut == buffer.count) { return emit(cut) }
            if atEOF {
                if buffer.isEmpty && emitted { return nil }
                return emit(buffer.count)
            }
            let more = try handle.read(upToCount: blockSize) ?? Data()
            if more.isEmpty { atEOF = true; try? handle.close() } else { buffer.append(contentsOf: more) }
        }
    }

    mutating func emit(_ n: Int) -> Chunk {
        let bytes = Array(buffer[0..<n])
        let chunk = Chunk(bytes: bytes, firstLine: 1 + newlines, offset: offset)
        if header == nil { header = Array(bytes[0..<(headerEnd ?? n)]) }
        newlines += Self.newlines(bytes)
        buffer.removeSubrange(0..<n)
        offset += n
        emitted = true
        return chunk
    }

    /// The LFs in `bytes`, eight bytes at a time (a byte loop took 8% of ingest_events' time): in
    /// each word, a byte is LF when its XOR with LF is zero, and a zero byte z is the one whose
    /// `~((z & 0x7F) + 0x7F | z | 0x7F)` keeps its high bit (exact, no carries between bytes).
    static func newlines(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { raw in
            let n = raw.count, words = n / 8
            let lf: UInt64 = 0x0A0A_0A0A_0A0A_0A0A, low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            var count = 0
            for k in 0..<words {
                let z = raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self) ^ lf
                count += (~(((z & low) &+ low) | z | low)).nonzeroBitCount
            }
            for k in (words * 8)..<n where raw[k] == 0x0A { count += 1 }
            return count
        }
    }

    /// End of the header record within the first piece (set by `boundary()` on the first piece).
    var headerEnd: Int?

    /// The last record boundary in `buffer` (where a piece may end: after the header record), or nil.
    /// Scans from the buffer's start, which is always a record boundary.
    mutating func boundary() -> Int? {
        // After the header, a buffer without a quote has every LF outside quotes: the last one is
        // the boundary (the scan below took a few seconds a 2 GB log, byte by byte).
        if header != nil, buffer.withUnsafeBufferPointer({ $0.isEmpty || memchr($0.baseAddress!, 0x22, $0.count) == nil }) {
            guard let lf = buffer.lastIndex(of: 0x0A) else { return nil }
            return lf + 1
        }
        let b = buffer, n = b.count
        let bom = offset == 0 && n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0
        var i = bom, fieldStart = bom, recordStart = bom
        var inQuotes = false, wasQuoted = false, fields = 1
        var last: Int?
        var seenHeader = header != nil
        while i < n {
            let c = b[i]
            if inQuotes {
                if c == 0x22 {
                    if i + 1 >= n && !atEOF { break }   // a doubled quote may straddle the read
                    if i + 1 < n && b[i + 1] == 0x22 { i += 2; continue }
                    inQuotes = false
                }
                i += 1
                continue
            }
            switch c {
            case 0x22 where i == fieldStart && !wasQuoted:
                inQuotes = true
                wasQuoted = true
            case 0x2C:
                fieldStart = i + 1
                wasQuoted = false
                fields += 1
            case 0x0A:
                if !seenHeader {
                    // `CSV.rows` skips a blank record (one empty field: nothing, or "", before the line end).
                    var end = i
                    if end > recordStart && b[end - 1] == 0x0D { end -= 1 }
                    let blank = fields == 1 && (end == recordStart || (end - recordStart == 2 && b[recordStart] == 0x22 && b[recordStart + 1] == 0x22))
                    if !blank { seenHeader = true; headerEnd = i + 1 }
                } else {
                    last = i + 1
                }
                if seenHeader { last = i + 1 }
                fieldStart = i + 1
                recordStart = i + 1
                wasQuoted = false
                fields = 1
            default:
                break
            }
            i += 1
        }
        return last
    }
}
