import Testing
@testable import LoomAnalytics

@Suite struct SVGChartTests {
    @Test func deterministicEscapedAndNaNSafe() {
        let a = SVGChart.line(title: "ROC <&>", xLabel: "fpr", yLabel: "tpr", series: [.init(name: "m", points: [(0, 0), (0.5, .nan), (1, 1)])], diagonal: true)
        #expect(a == SVGChart.line(title: "ROC <&>", xLabel: "fpr", yLabel: "tpr", series: [.init(name: "m", points: [(0, 0), (0.5, .nan), (1, 1)])], diagonal: true))
        #expect(a.contains("ROC &lt;&amp;&gt;") && !a.contains("nan"))
        #expect(a.components(separatedBy: "polyline").count == 2)
        let b = SVGChart.bars(title: "t", yLabel: "n", labels: ["x", "y", "z"], series: [("s", [1, 2, 3])])
        #expect(b.components(separatedBy: "<rect").count - 1 == 3)
        #expect(SVGChart.histogram(title: "h", xLabel: "v", values: []).contains("no data"))
        #expect(SVGChart.number(0.123456) == "0.123" && SVGChart.number(1234.5) == "1234.5" && SVGChart.number(3) == "3")
    }

    /// Issue 14: the churn ROC legend read "days_since_last (AUC 0.6" (cut at 24 characters and
    /// by the chart's edge); a CLV histogram's first tick read 1.57e-07 with no axis label.
    @Test func legendsFitAndHistogramTicksAreRound() throws {
        let name = "days_since_last (AUC 0.687)"
        let roc = SVGChart.line(title: "ROC", xLabel: "fpr", yLabel: "tpr", series: [.init(name: name, points: [(0, 0), (1, 1)])], diagonal: true)
        #expect(roc.contains(">\(name)</text>"))
        // The legend starts far enough left for its text (27 characters at 6.3 px) to end inside the chart.
        let x = try #require(roc.range(of: "<rect x=\"").map { Double(roc[$0.upperBound...].prefix { $0 != "\"" })! })
        #expect(x + 14 + 27 * 6.3 <= 460 - 16 + 0.5, "\(x)")
        let long = String(repeating: "m", count: 80)
        let cut = SVGChart.line(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: long, points: [(0, 0), (1, 1)])])
        #expect(cut.contains("<title>\(long)</title>\(String(repeating: "m", count: 45))…</text>"))

        let clv = [1.57e-7, 3, 7.5, 12, 24.2]
        let h = SVGChart.histogram(title: "CLV", xLabel: "predicted CLV", values: clv, bins: 10)
        #expect(!h.contains("e-07") && h.contains(">0</text>") && h.contains("predicted CLV (bin starts)"), "\(h)")
        #expect(SVGChart.number(1.57e-7, step: 2.42) == "0" && SVGChart.number(7.26, step: 2.42) == "7.3" && SVGChart.number(0.15, step: 0.05) == "0.15")
        #expect(SVGChart.number(1234.5678, step: 120) == "1235")
    }

    /// Hand-computed: range/4 gives the raw step; it rounds up to 1, 2, 2.5 or 5 x 10^k and the
    /// ends move out to multiples of it.
    @Test func axesHaveRoundTicks() {
        #expect(SVGChart.axis(0, 28407) == .init(lo: 0, hi: 30000, step: 10000))      // raw 7101.75 -> 10000
        #expect(SVGChart.axis(0, 1).ticks == [0, 0.25, 0.5, 0.75, 1])                  // raw 0.25 -> 0.25
        #expect(SVGChart.axis(0.1, 0.83) == .init(lo: 0, hi: 1, step: 0.2))             // raw 0.1825 -> 0.2
        #expect(SVGChart.axis(-3, 7) == .init(lo: -5, hi: 7.5, step: 2.5))              // raw 2.5 -> 2.5
        #expect(SVGChart.axis(0, 0.3).ticks.count == 4)                                 // 0.1 steps: 0, 0.1, 0.2, 0.3
        #expect(SVGChart.axis(5, 5) == .init(lo: 5, hi: 6, step: 0.25))                 // degenerate: a unit range
    }
}
