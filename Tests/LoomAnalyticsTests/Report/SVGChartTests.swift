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
}
