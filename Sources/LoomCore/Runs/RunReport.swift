import Foundation

/// `experiments/<run>/report.html`: one self-contained page (inline SVG and CSS, no script, no
/// network) with the DAG coloured by status, a timeline of task starts and ends (which shows the
/// parallelism), durations, cache hits, reasons, metrics and links to the logs; under the title,
/// the run's provenance (commit, Loom, user, host).
public enum RunReport {
    public static let maxDrawnTasks = 300

    /// - Parameter needs: each task's needed tasks (from the graph), to draw the edges.
    /// `logTails`: the last lines of each failed task's log, shown under its row.
    public static func html(_ r: RunRecord, needs: [String: [String]], logTails: [String: [String]] = [:]) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>loom run \(esc(r.id.value))</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
        table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
        .s{display:inline-block;padding:0 6px;border-radius:3px;color:#fff}.muted{color:#777}code{font-size:12px}
        .tail pre{margin:0;font-size:12px;background:#fbeaea;padding:6px 8px;white-space:pre-wrap;max-width:1000px}
        </style></head><body>
        <h1>loom run \(esc(r.id.value))\(r.name.map { " — " + esc($0) } ?? "")</h1>
        <p><b>\(esc(r.status.rawValue))</b> · \(esc(r.dagPath)) · started \(esc(RunID.iso(r.startedAt))) · \(NumberText.fixed(r.duration ?? 0, 2)) s · -j \(r.jobs) ·
        \(r.count(.ran)) ran, \(r.count(.cached)) cached, \(r.count(.failed)) failed, \(r.count(.skipped)) skipped</p>
        """
        h += headerLines(r)
        for g in r.gateFailures { h += "<p style=\"color:#e53935\">\(esc(g))</p>" }
        // Past a few hundred tasks a drawing is unreadable (and slow to write on every no-op run).
        let drawable = r.tasks.count <= maxDrawnTasks
        let skipped = "<p class=\"muted\">\(r.tasks.count) tasks: too many to draw (more than \(maxDrawnTasks)); see the table.</p>"
        h += "<h2>DAG</h2>" + (drawable ? dagSVG(r, needs: needs) : skipped)
        h += "<h2>Timeline</h2>" + (drawable ? timelineSVG(r) : skipped)
        h += "<h2>Tasks</h2><table><tr><th>task</th><th>kind</th><th>status</th><th>duration</th><th>why</th><th>metrics</th><th>log</th></tr>"
        // One row per task, written as bytes: a record of a thousand tasks is reported on every run.
        var rows = HTMLBytes(capacity: 160 * r.tasks.count)
        // Past the same size, cache hits without metrics (a no-op run's thousand identical rows)
        // are listed by name under the table instead.
        var rowless: [String] = []
        for i in r.tasks.indices {
            if !drawable && r.tasks[i].status == .cached && r.tasks[i].metrics.isEmpty { rowless.append(r.tasks[i].name); continue }
            let t = r.tasks[i]
            let c = colour(t.status)
            rows.put("<tr><td>"); rows.putEscaped(t.name); rows.put("</td><td>"); rows.putEscaped(t.kind)
            rows.put("</td><td><span class=\"s\" style=\"background:"); rows.put(c.fill); rows.put("\">"); rows.put(c.label); rows.put("</span></td><td>")
            if let d = t.duration { rows.put(NumberText.fixed(d, 2) + " s") }
            rows.put("</td><td>")
            var first = true
            for why in (t.status == .cached ? ["cache hit"] : t.reasons) + [t.error ?? t.outcome].compactMap({ $0 }) {
                if !first { rows.put("<br>") }
                first = false
                rows.putEscaped(why)
            }
            rows.put("</td><td>")
            for (k, name) in t.metrics.keys.sorted().enumerated() {
                if k > 0 { rows.put("<br>") }
                rows.putEscaped(name); rows.put(" = "); rows.put(NumberText.metric(t.metrics[name]!))
            }
            rows.put("</td><td>")
            if let log = t.log { rows.put("<a href=\""); rows.putEscaped(log); rows.put("\">log</a>") }
            rows.put("</td></tr>")
            if let tail = logTails[t.name], !tail.isEmpty {
                rows.put("<tr class=\"tail\"><td></td><td colspan=\"6\"><pre>")
                for line in tail { rows.putEscaped(line); rows.put("\n") }
                rows.put("</pre></td></tr>")
            }
        }
        rows.put("</table>")
        if !rowless.isEmpty {
            rows.put("<p class=\"muted\">\(rowless.count) more tasks were cache hits without metrics: ")
            for (k, name) in rowless.enumerated() { if k > 0 { rows.put(", ") }; rows.putEscaped(name) }
            rows.put("</p>")
        }
        rows.put("</body></html>\n")
        return h + rows.string
    }

    /// The params and provenance lines under the title. As bytes: the generic `joined` they were
    /// built with cost 0.1 ms of first-use type lookups in every run's report.
    static func headerLines(_ r: RunRecord) -> String {
        var b = HTMLBytes(capacity: 512)
        if !r.params.isEmpty {
            b.put("<p>params: ")
            for (i, k) in r.params.keys.sorted().enumerated() {
                if i > 0 { b.put(" ") }
                b.put("<code>"); b.putEscaped(k); b.put("="); b.putEscaped(r.params[k]!.canonical); b.put("</code>")
            }
            b.put("</p>")
        }
        if let p = r.provenance {
            b.put("<p class=\"muted\">")
            for (field, value) in p.lines {
                b.putEscaped(field); b.put(" "); b.putEscaped(value); b.put(" · ")
            }
            b.put("host "); b.putEscaped(r.host); b.put("</p>")
        }
        return b.string
    }

    static func colour(_ s: TaskStatus) -> (fill: String, label: String) {
        switch s {
        case .ran: return ("#4caf50", "ran")
        case .cached: return ("#90a4ae", "cached")
        case .failed: return ("#e53935", "failed")
        case .interrupted: return ("#fb8c00", "interrupted")
        case .skipped: return ("#ffb74d", "skipped")
        case .upToDate: return ("#90a4ae", "up to date")
        case .stale: return ("#ffb74d", "stale")
        }
    }

    /// Layered drawing: a task's column is the length of the longest path of needs leading to it.
    static func dagSVG(_ r: RunRecord, needs: [String: [String]]) -> String {
        let names = r.tasks.map(\.name)
        var index: [String: Int] = [:]
        index.reserveCapacity(names.count)
        for (i, n) in names.enumerated() where index[n] == nil { index[n] = i }
        var layer = [Int](repeating: 0, count: names.count), row = [Int](repeating: 0, count: names.count), rows: [Int] = []
        for (i, n) in names.enumerated() {
            var l = -1
            for m in needs[n] ?? [] { if let j = index[m], j < i { l = max(l, layer[j]) } }
            layer[i] = l + 1
            if layer[i] == rows.count { rows.append(0) }
            row[i] = rows[layer[i]]
            rows[layer[i]] += 1
        }
        // Boxes as wide as the longest name needs (7 px a character of the 12 px font), up to
        // `maxLabel` characters; longer names end in "…" (the whole name is in the tooltip).
        let longest = min(maxLabel, names.map(characters).max() ?? 0)
        let w = max(140, longest * 7 + 16), hgt = 30, gx = 40, gy = 12
        let width = max(1, rows.count) * (w + gx) - gx, height = (rows.max() ?? 1) * (hgt + gy)
        // Written as bytes: a chain of 200 tasks is drawn on every no-op run (0.9 ms of string
        // interpolation).
        var s = HTMLBytes(capacity: 300 * names.count)
        // Drawn at its natural size in a box that scrolls: shrunk to the page, a DAG of 55 tasks
        // had labels too small to read.
        s.put("<div style=\"overflow:auto;max-height:80vh;border:1px solid #eee\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        s.put(width); s.put("\" height=\""); s.put(height); s.put("\" font-size=\"12\">")
        for (i, n) in names.enumerated() {
            for m in needs[n] ?? [] {
                guard let j = index[m] else { continue }
                let x1 = layer[j] * (w + gx) + w, y1 = row[j] * (hgt + gy) + hgt / 2
                let x2 = layer[i] * (w + gx), y2 = row[i] * (hgt + gy) + hgt / 2
                s.put("<path d=\"M"); s.put(x1); s.put(","); s.put(y1); s.put(" C"); s.put(x1 + gx / 2); s.put(","); s.put(y1)
                s.put(" "); s.put(x2 - gx / 2); s.put(","); s.put(y2); s.put(" "); s.put(x2); s.put(","); s.put(y2)
                s.put("\" fill=\"none\" stroke=\"#999\"/>")
            }
        }
        for t in r.tasks {
            let c = colour(t.status), k = index[t.name]!
            s.put("<g><title>"); s.putEscaped(t.name); s.put(": "); s.put(c.label); s.put("</title><rect x=\""); s.put(layer[k] * (w + gx))
            s.put("\" y=\""); s.put(row[k] * (hgt + gy)); s.put("\" width=\""); s.put(w); s.put("\" height=\""); s.put(hgt)
            s.put("\" rx=\"5\" fill=\""); s.put(c.fill); s.put("\"/>")
            s.put("<text x=\""); s.put(layer[k] * (w + gx) + 7); s.put("\" y=\""); s.put(row[k] * (hgt + gy) + 19); s.put("\" fill=\"#fff\">")
            s.putEscaped(characters(t.name) <= maxLabel ? t.name : String(t.name.prefix(maxLabel - 1)) + "…")
            s.put("</text></g>")
        }
        s.put("</svg></div>")
        return s.string
    }

    /// A name's length in characters; ASCII names (nearly all) without walking graphemes.
    static func characters(_ name: String) -> Int {
        name.utf8.allSatisfy { $0 < 0x80 } ? name.utf8.count : name.count
    }

    /// The longest task name drawn whole in the DAG.
    static let maxLabel = 36

    static func timelineSVG(_ r: RunRecord) -> String {
        let tasks = r.tasks.filter { $0.start != nil }
        guard !tasks.isEmpty else { return "<p class=\"muted\">no task ran</p>" }
        let total = max(r.duration ?? 0, tasks.map { ($0.start ?? 0) + ($0.duration ?? 0) }.max() ?? 0, 0.001)
        // Cache hits take no time: a run of nothing else has no timeline to draw ("0 s ... 0.00 s").
        if tasks.allSatisfy({ $0.status == .cached }) {
            return "<p class=\"muted\">every task was a cache hit; the run took \(axisLabel(r.duration ?? 0))</p>"
        }
        let left = 200, width = 640, row = 20
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(left + width + 60) \(tasks.count * row + 24)\" width=\"\(left + width + 60)\" height=\"\(tasks.count * row + 24)\" style=\"max-width:100%;height:auto\" font-size=\"11\">"
        for (i, t) in tasks.enumerated() {
            let x = left + Int(Double(width) * (t.start ?? 0) / total), bw = max(2, Int(Double(width) * (t.duration ?? 0) / total))
            s += "<text x=\"0\" y=\"\(i * row + 14)\">\(esc(t.name.count <= 30 ? t.name : String(t.name.prefix(29)) + "…"))</text>"
            s += "<rect x=\"\(x)\" y=\"\(i * row + 3)\" width=\"\(bw)\" height=\"\(row - 6)\" fill=\"\(colour(t.status).fill)\"><title>\(esc(t.name)) \(NumberText.fixed(t.start ?? 0, 3))+\(NumberText.fixed(t.duration ?? 0, 3)) s</title></rect>"
        }
        s += "<text x=\"\(left)\" y=\"\(tasks.count * row + 18)\" class=\"muted\">0 s</text><text x=\"\(left + width - 30)\" y=\"\(tasks.count * row + 18)\">\(axisLabel(total))</text>"
        return s + "</svg>"
    }

    /// A duration for the timeline's end: milliseconds below a second (a fast run read "0.00 s").
    static func axisLabel(_ seconds: Double) -> String {
        seconds < 1 ? "\(max(1, Int((seconds * 1000).rounded()))) ms" : NumberText.fixed(seconds, 2) + " s"
    }

    // The same escaping as SVGChart.esc in LoomAnalytics: the layers may not import each other.
    static func esc(_ s: String) -> String {
        // Most names need no escaping: return them as they are (a report row has several).
        if !s.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") }) {
            return s
        }
        var o = HTMLBytes(capacity: s.utf8.count + 16)
        o.putEscaped(s)
        return o.string
    }
}

/// An HTML page's bytes as they are written: text, integers and escaped text without the
/// allocations of string interpolation.
struct HTMLBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func put(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func put(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func put(_ n: Int) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        putDigits(n.magnitude)
    }

    private mutating func putDigits(_ m: UInt) {
        if m >= 10 { putDigits(m / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(m % 10))
    }

    /// `s` with `&`, `<`, `>` and `"` escaped.
    mutating func putEscaped(_ s: String) {
        var s = s
        s.withUTF8 { u in
            for b in u {
                switch b {
                case UInt8(ascii: "&"): put("&amp;")
                case UInt8(ascii: "<"): put("&lt;")
                case UInt8(ascii: ">"): put("&gt;")
                case UInt8(ascii: "\""): put("&quot;")
                default: bytes.append(b)
                }
            }
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
