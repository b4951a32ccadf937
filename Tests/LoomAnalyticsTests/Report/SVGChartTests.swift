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
