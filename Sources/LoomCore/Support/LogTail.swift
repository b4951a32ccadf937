import Foundation

/// The end of a task's log, as shown under a failed task (on the terminal and in the run report).
public enum LogTail {
    /// Bytes read from the end of a log for its tail: ten ordinary lines fit many times over, and a
    /// log can be gigabytes.
    public static let tailBytes = 64 * 1024
    /// Characters of one log line shown: a task can print a line of any length.
    public static let lineLength = 300

    /// The last `n` non-empty lines of a file, from its last `tailBytes` only, each cut to
    /// `lineLength` characters ([] for a file that cannot be read).
    public static func lines(_ path: String, _ n: Int) -> [String] {
        guard let file = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? file.close() }
        let size = file.seekToEndOfFile()
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        file.seek(toFileOffset: start)
        var lines = String(decoding: file.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if start > 0, lines.count > 1 { lines.removeFirst() }   // began mid-line (unless that line is all there is)
        return lines.filter { !$0.isEmpty }.suffix(n).map { $0.count > lineLength ? $0.prefix(lineLength) + "..." : String($0) }
    }
}
