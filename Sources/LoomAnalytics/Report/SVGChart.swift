import Foundation

/// Small, dependency-free SVG charts for the analytics report. Output is byte-identical for
/// identical input: numbers are printed with fixed decimals, NaN points are skipped, and all text
/// is escaped.
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var points: [(Double, Double)]
        public init(name: String, points: [(Double, Double)]) { self.name = name; self.points = points }
    }

    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    static let width = 460.0, height = 300.0, left = 56.0, right = 16.0, top = 30.0, bottom = 44.0

    /// A line chart; `diagonal` draws y = x (ROC, calibration).
    public static func line(title: String, xLabel: String, yLabel: String, series: [Series], diagonal: Bool = false) -> String {
        let pts = series.flatMap(\.points).filter { $0.0.isFinite && $0.1.isFinite }
        guard !pts.isEmpty else { return empty(title) }
        var (x0, x1) = (pts.map(\.0).min()!, pts.map(\.0).max()!), (y0, y1) = (pts.map(\.1).min()!, pts.map(\.1).max()!)
        if diagonal { x0 = min(x0, 0); y0 = min(y0, 0); x1 = max(x1, 1); y1 = max(y1, 1) }
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y1 = y0 + 1 }
        let xs = axis(x0, x1), ys = axis(y0, y1)
        (x0, x1, y0, y1) = (xs.lo, xs.hi, ys.lo, ys.hi)
        var s = frame(title: title, xLabel: xLabel, yLabel: yLabel, x: xs, y: ys)
        let sx = { (x: Double) in left + (x - x0) / (x1 - x0) * (width - left - right) }
        let sy = { (y: Double) in height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
        if diagonal { s += "<line x1=\"\(f(sx(x0)))\" y1=\"\(f(sy(y0)))\" x2=\"\(f(sx(x1)))\" y2=\"\(f(sy(y1)))\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>" }
        for (k, ser) in series.enumerated() {
            let p = ser.points.filter { $0.0.isFinite && $0.1.isFinite }.map { "\(f(sx($0.0))),\(f(sy($0.1)))" }
            guard !p.isEmpty else { continue }
            s += "<polyline fill=\"none\" stroke=\"\(palette[k % palette.count])\" stroke-width=\"2\" points=\"\(p.joined(separator: " "))\"/>"
        }
        // Curves above the diagonal (ROC, gains) leave the lower right empty: the legend goes there.
        return s + legend(series.map(\.name), atBottom: diagonal) + "</svg>"
    }

    /// Grouped bars: one group per label, one bar per series (values must align with labels).
    public static func bars(title: String, yLabel: String, labels: [String], series: [(name: String, values: [Double])], xLabel: String = "") -> String {
        let values = series.flatMap(\.values).filter(\.isFinite)
        guard !labels.isEmpty, !values.isEmpty else { return empty(title) }
        let ys = axis(min(values.min()!, 0), max(values.max()!, 0) == 0 ? 1 : max(values.max()!, 0))
        let (y0, y1) = (ys.lo, ys.hi)
        var s = frame(title: title, xLabel: xLabel, yLabel: yLabel, x: nil, y: ys)
        let plotW = width - left - right, group = plotW / Double(labels.count), barW = group * 0.8 / Double(max(1, series.count))
        let sy = { (y: Double) in height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom) }
        for (g, label) in labels.enumerated() {
            let gx = left + Double(g) * group + group * 0.1
            for (k, ser) in series.enumerated() where g < ser.values.count && ser.values[g].isFinite {
                let v = ser.values[g], top = sy(max(v, 0)), base = sy(min(v, 0))
                s += "<rect x=\"\(f(gx + Double(k) * barW))\" y=\"\(f(top))\" width=\"\(f(barW * 0.95))\" height=\"\(f(max(0.5, base - top)))\" fill=\"\(palette[k % palette.count])\"><title>\(esc(label)) \(esc(ser.name)): \(number(v))</title></rect>"
            }
            s += "<text x=\"\(f(gx + group * 0.4))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\" font-size=\"10\">\(esc(String(label.prefix(20))))</text>"
        }
        return s + legend(series.count > 1 ? series.map(\.name) : []) + "</svg>"
    }

    /// Estimates with intervals, one row each (a forest plot), against a dashed line at 0: for
    /// relative lifts and their confidence intervals. Rows whose numbers are not finite are drawn
    /// as their label alone.
    public static func intervals(title: String, xLabel: String, labels: [String], estimates: [Double], lows: [Double], highs: [Double]) -> String {
        let rows = labels.indices.filter { $0 < estimates.count && $0 < lows.count && $0 < highs.count }
        let drawn = rows.filter { estimates[$0].isFinite && lows[$0].isFinite && highs[$0].isFinite }
        guard !drawn.isEmpty else { return empty(title) }
        let xs = axis(min(0, drawn.map { lows[$0] }.min()!), max(0, drawn.map { highs[$0] }.max()!))
        let labelW = 150.0, rowH = 24.0
        let h = top + Double(rows.count) * rowH + bottom
        let sx = { (x: Double) in labelW + (x - xs.lo) / (xs.hi - xs.lo) * (width - labelW - right) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        let axisY = h - bottom + 6
        s += "<line x1=\"\(f(labelW))\" y1=\"\(f(axisY))\" x2=\"\(f(width - right))\" y2=\"\(f(axisY))\" stroke=\"#333\"/>"
        for v in xs.ticks {
            s += "<text x=\"\(f(sx(v)))\" y=\"\(f(axisY + 14))\" text-anchor=\"middle\">\(number(v))</text>"
        }
        s += "<line x1=\"\(f(sx(0)))\" y1=\"\(f(top))\" x2=\"\(f(sx(0)))\" y2=\"\(f(axisY))\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>"
        s += "<text x=\"\(f((labelW + width - right) / 2))\" y=\"\(f(h - 8))\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        for (k, i) in rows.enumerated() {
            let y = top + (Double(k) + 0.5) * rowH
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(esc(String(labels[i].prefix(26))))</text>"
            guard estimates[i].isFinite && lows[i].isFinite && highs[i].isFinite else { continue }
            // Intervals that exclude 0 in colour, the others in grey.
            let colour = lows[i] > 0 || highs[i] < 0 ? palette[0] : "#999"
            s += "<line x1=\"\(f(sx(lows[i])))\" y1=\"\(f(y))\" x2=\"\(f(sx(highs[i])))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            s += "<circle cx=\"\(f(sx(estimates[i])))\" cy=\"\(f(y))\" r=\"4\" fill=\"\(colour)\"><title>\(esc(labels[i])): \(number(estimates[i])) [\(number(lows[i])), \(number(highs[i]))]</title></circle>"
        }
        return s + "</svg>"
    }

    /// A heatmap: one row per label, one column per column label, each cell shaded from white
    /// (`low`) to the palette's blue (`high`, values above it as dark) and printed with `text`
    /// when wide enough (else in its tooltip); NaN cells are left blank
    /// (a cohort matrix's unobserved corner).
    public static func heatmap(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]], low: Double = 0, high: Double = 1,
                               text: (Double) -> String) -> String {
        guard !rowLabels.isEmpty, !columnLabels.isEmpty else { return empty(title) }
        let labelW = 90.0, cellH = 20.0, cellW = max(26.0, min(48.0, (width * 1.6 - labelW - right) / Double(columnLabels.count)))
        let w = labelW + cellW * Double(columnLabels.count) + right, h = top + 16 + cellH * Double(rowLabels.count) + 8
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"10\">"
        s += "<text x=\"\(f(w / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        for (j, label) in columnLabels.enumerated() {
            s += "<text x=\"\(f(labelW + (Double(j) + 0.5) * cellW))\" y=\"\(f(top + 10))\" text-anchor=\"middle\">\(esc(label))</text>"
        }
        let span = high > low ? high - low : 1
        for (i, label) in rowLabels.enumerated() {
            let y = top + 16 + Double(i) * cellH
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(esc(String(label.prefix(16))))</text>"
            for j in columnLabels.indices where i < values.count && j < values[i].count && values[i][j].isFinite {
                let v = values[i][j], t = min(1, max(0, (v - low) / span))
                // White to #1f77b4 (31, 119, 180); dark cells get white text.
                let rgb = [(255.0, 31.0), (255.0, 119.0), (255.0, 180.0)].map { Int(($0.0 + t * ($0.1 - $0.0)).rounded()) }
                let x = labelW + Double(j) * cellW
                s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cellW - 1))\" height=\"\(f(cellH - 1))\" fill=\"rgb(\(rgb[0]),\(rgb[1]),\(rgb[2]))\"><title>\(esc(label)), \(esc(columnLabels[j])): \(esc(text(v)))</title></rect>"
                // Narrow cells (a year of weeks) keep their value in the tooltip only: it would overlap the next cell.
                if cellW >= 34 {
                    s += "<text x=\"\(f(x + cellW / 2))\" y=\"\(f(y + 14))\" text-anchor=\"middle\" fill=\"\(t > 0.55 ? "#fff" : "#222")\">\(esc(text(v)))</text>"
                }
            }
        }
        return s + "</svg>"
    }

    /// A histogram of `values` in `bins` equal-width bins (non-finite values skipped).
    public static func histogram(title: String, xLabel: String, values: [Double], bins: Int = 20) -> String {
        let v = values.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max(), bins > 0 else { return empty(title) }
        let w = hi > lo ? (hi - lo) / Double(bins) : 1
        var counts = [Double](repeating: 0, count: bins)
        for x in v { counts[min(bins - 1, Int((x - lo) / w))] += 1 }
        // Label every few bins only, so that the numbers never run into each other.
        let every = max(1, (bins + 5) / 6)
        let labels = (0..<bins).map { $0 % every == 0 ? number(lo + Double($0) * w, step: w) : "" }
        return bars(title: title, yLabel: "count", labels: labels, series: [(xLabel, counts)], xLabel: xLabel + " (bin starts)")
    }

    /// An axis from `lo` to `hi` widened to round ticks: the step is 1, 2, 2.5 or 5 times a power
    /// of ten giving about four intervals, and the ends are multiples of it.
    public struct Axis: Equatable, Sendable {
        public var lo, hi, step: Double
        public var ticks: [Double] { (0...Int(((hi - lo) / step).rounded())).map { lo + Double($0) * step } }
    }

    public static func axis(_ lo: Double, _ hi: Double) -> Axis {
        guard hi > lo, lo.isFinite, hi.isFinite else { return Axis(lo: lo, hi: lo + 1, step: 0.25) }
        let raw = (hi - lo) / 4, mag = pow(10, (log10(raw)).rounded(.down)), norm = raw / mag
        let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag
        // A small relative slack keeps 0.30000000000000004 from adding a whole step.
        let a = (lo / step + 1e-9).rounded(.down) * step, b = (hi / step - 1e-9).rounded(.up) * step
        return Axis(lo: a, hi: b, step: step)
    }

    static func frame(title: String, xLabel: String, yLabel: String, x: Axis?, y: Axis) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        s += "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>"
        for v in y.ticks {
            let yy = height - bottom - (v - y.lo) / (y.hi - y.lo) * (height - top - bottom)
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(number(v))</text>"
            s += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(width - right))\" y2=\"\(f(yy))\" stroke=\"#eee\"/>"
        }
        if let x {
            for v in x.ticks {
                let xx = left + (v - x.lo) / (x.hi - x.lo) * (width - left - right)
                s += "<text x=\"\(f(xx))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\">\(number(v))</text>"
            }
        }
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(esc(xLabel))</text>"
        s += "<text x=\"12\" y=\"\(f((top + height - bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f((top + height - bottom) / 2)))\">\(esc(yLabel))</text>"
        return s
    }

    /// The longest legend entry drawn whole; longer ones end in "…" (the whole name is in its
    /// tooltip).
    static let legendChars = 46

    /// Legend entries at the right edge, as wide as the longest needs (about 6.3 px per character
    /// of the 11 px font), so that no entry runs past the chart's edge.
    static func legend(_ names: [String], atBottom: Bool = false) -> String {
        let y0: Double = atBottom ? height - bottom - 8 - Double(names.count) * 14 : top + 4
        let shown = names.map { $0.count > legendChars ? String($0.prefix(legendChars - 1)) + "…" : $0 }
        let textW = Double(shown.map(\.count).max() ?? 0) * 6.3
        let x = max(left + 4, width - right - 18 - textW)
        var s = ""
        for (k, n) in shown.enumerated() {
            let y = y0 + Double(k) * 14
            s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"10\" height=\"10\" fill=\"\(palette[k % palette.count])\"/>"
            s += "<text x=\"\(f(x + 14))\" y=\"\(f(y + 9))\"><title>\(esc(names[k]))</title>\(esc(n))</text>"
        }
        return s
    }

    static func empty(_ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"60\" font-family=\"sans-serif\"><text x=\"8\" y=\"20\" font-weight=\"bold\">\(esc(title))</text><text x=\"8\" y=\"42\" fill=\"#777\">no data</text></svg>"
    }

    static func f(_ d: Double) -> String { String(format: "%.1f", d) }

    /// Numbers for labels: 4 significant digits, no exponent below 1e6.
    public static func number(_ d: Double) -> String {
        guard d.isFinite else { return "-" }
        // Below 1e-9 a label shows rounding noise (a centre of all-zero customers after log1p and
        // standardisation comes back as 6e-15), not a quantity.
        if abs(d) < 1e-9 { return "0" }
        if d == d.rounded() && abs(d) < 1e9 { return String(Int(d)) }
        return abs(d) >= 100 ? String(format: "%.1f", d) : String(format: "%.3g", d)
    }

    /// A number on a scale whose steps are `step` wide: no more digits than the step shows, and
    /// values within a millionth of a step of 0 are 0 (a histogram of CLVs starting at 1.57e-07
    /// labels its first bin 0).
    public static func number(_ d: Double, step: Double) -> String {
        guard d.isFinite, step.isFinite, step > 0 else { return number(d) }
        if abs(d) < step * 1e-6 { return "0" }
        let decimals = max(0, Int((-log10(step)).rounded(.up)) + 1)
        if decimals == 0 || abs(d) >= 1e6 { return number(d.rounded()) }
        return number(Double(String(format: "%.\(decimals)f", d)) ?? d)
    }

    public static func esc(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }
}

/// A self-contained HTML page (inline CSS, no script, no network) made of sections.
public struct HTMLReport: Sendable {
    public var title: String
    private var body = ""

    public init(title: String) { self.title = title }

    public mutating func section(_ heading: String, _ html: String) {
        body += "<section><h2>\(SVGChart.esc(heading))</h2>\(html)</section>\n"
    }

    public static func table(header: [String], rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(SVGChart.esc($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(SVGChart.esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    public func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVGChart.esc(title))</title>
        <style>body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1000px}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
        table{border-collapse:collapse;margin:6px 0 12px}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}svg{margin:4px 12px 4px 0}summary{cursor:pointer;color:#555}.warning{color:#a40000}</style>
        </head><body><h1>\(SVGChart.esc(title))</h1>
        \(body)</body></html>

        """
    }
}
