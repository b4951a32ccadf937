import Foundation

/// How long each task of a DAG took when it last ran, for `CostEstimate` (as ninja keeps
/// `.ninja_log`): `artifacts/state/<dag>.times`. Reading it costs one small file, where reading
/// the DAG's recent run records cost a JSON parse of each (20 records of a 1,000-task DAG took
/// 400 ms of a debug build's one-input-changed run).
///
/// Format "loom-times 1": that line, then one line per task run, oldest first, tab-separated:
/// task name, key (hex), seconds, artifact (hex). Task names hold no tab or newline (see
/// `GraphBuilder.isTaskName`). Lines are appended at the end of each run for the tasks it ran
/// itself (not those a remote cache served); a line that does not parse (a crash mid-append) is
/// skipped. Past `compactAbove` bytes (about 15,000 lines; more for a DAG of more than 1,500
/// tasks) the file is rewritten with each task's last `kept` lines; until then a run only
/// appends (no read).
public enum DurationLog {
    public static let header = "loom-times 1"
    /// Lines kept per task when the file is compacted: the estimate looks at the last five.
    public static let kept = 5
    public static let compactAbove = 2 << 20

    public static func path(storeRoot: String, dag: String) -> String { "\(storeRoot)/state/\(dag).times" }

    /// Each task's runs, newest first; only those of `tasks` when given. An estimate names the
    /// few tasks a run reruns: with every other line skipped at its name's bytes and lines split
    /// at bytes, the estimate of a one-input change in a 1,000-task DAG (a 1,150-line log) fell
    /// from 4.4-4.9 to 0.8 ms of CPU (perf, medians of 6 runs).
    public static func read(_ path: String, tasks: Set<String>? = nil) -> [String: [CostEstimate.Sample]] {
        var out: [String: [CostEstimate.Sample]] = [:]
        guard let bytes = try? FileSystem.readBytes(path), let ranges = lineRanges(bytes) else { return out }
        // A name is looked up by its bytes: one small set per length, compared in place.
        let wanted = tasks.map { Dictionary(grouping: $0.map { Array($0.utf8) }, by: \.count) }
        for r in ranges {
            if let wanted {
                let tab = bytes[r].firstIndex(of: UInt8(ascii: "\t")) ?? r.upperBound
                guard let same = wanted[tab - r.lowerBound], same.contains(where: { $0.elementsEqual(bytes[r.lowerBound..<tab]) }) else { continue }
            }
            let f = bytes[r].split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            guard f.count == 4, let key = Digest(hex: f[1]), let s = Double(f[2]), s.isFinite, s >= 0,
                  let art = Digest(hex: f[3]) else { continue }
            out[f[0], default: []].append(CostEstimate.Sample(key: key, seconds: s, artifact: art))
        }
        for k in out.keys { out[k]!.reverse() }
        return out
    }

    /// Adds the tasks of a run that ran here and succeeded.
    public static func append(_ path: String, tasks: [TaskReport]) throws {
        var text = ""
        for t in tasks where t.status == .ran && !t.reasons.contains(TaskReport.servedByRemote) {
            guard let key = t.key?.digest, let art = t.artifact, let d = t.duration else { continue }
            text += "\(t.name)\t\(key.hex)\t\(NumberText.fixed(d, 3))\t\(art.hex)\n"
        }
        guard !text.isEmpty else { return }
        var st = stat()
        // Twice what compaction keeps for a DAG of this size (a line is about 140 bytes), so that
        // a large DAG is not compacted, and read whole, on every run.
        let limit = max(compactAbove, tasks.count * 140 * kept * 2)
        if stat(path, &st) == 0, Int(st.st_size) + text.utf8.count > limit {
            let existing = lines(path)
            // Each task's last `kept` lines, in their order.
            var seen: [Substring: Int] = [:]
            var keep = [Bool](repeating: false, count: existing.count)
            for i in existing.indices.reversed() {
                let name = existing[i].prefix { $0 != "\t" }
                seen[name, default: 0] += 1
                keep[i] = seen[name]! <= kept
            }
            let body = existing.indices.filter { keep[$0] }.map { existing[$0] + "\n" }.joined()
            try FileSystem.writeAtomically(path, header + "\n" + body + text)
            return
        }
        if !FileSystem.exists(path) { try FileSystem.writeAtomically(path, header + "\n") }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.fail("cannot open", path) }
        defer { close(fd) }
        // One write: a concurrent reader (loom status) sees whole lines or a torn last line it skips.
        let n = text.withCString { write(fd, $0, strlen($0)) }
        if n < 0 { throw FileSystem.fail("cannot write", path) }
    }

    /// The file's lines after its header; none when it is missing or of another format.
    static func lines(_ path: String) -> [Substring] {
        guard let bytes = try? FileSystem.readBytes(path), let ranges = lineRanges(bytes) else { return [] }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self)[...] }
    }

    /// The byte ranges of the non-empty lines after the header (nil: not this format). Split at
    /// line-feed bytes, not at Characters: grapheme breaking of a 143 KB log took 4.5 ms.
    static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(bytes.count / 128)
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var lo = 0
            while lo < b.count {
                // memchr: `firstIndex(of:)` on a slice compares one byte at a time.
                let hi = memchr(base + lo, 0x0A, b.count - lo).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? b.count
                if hi > lo { ranges.append(lo..<hi) }
                lo = hi + 1
            }
        }
        guard let first = ranges.first, bytes[first].elementsEqual(header.utf8) else { return nil }
        return Array(ranges.dropFirst())
    }
}
