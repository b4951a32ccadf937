/// One fitted regression tree of a boosted model, as a flat array of nodes (root at index 0), after
/// scikit-learn's `_hist_gradient_boosting/predictor.py`.
///
/// JSON form (part of `GradientBoostingModel`, version 1): `{"nodes": [{"feature": 3, "threshold": 0.25,
/// "bin": 17, "missingGoesLeft": false, "left": 1, "right": 2, "value": 0, "gain": 12.5, "samples": 1000}, ...]}`.
/// A leaf has `feature == -1`, `left == right == -1` and its output in `value` (learning rate included).
/// A split "every non-missing value | missing" has threshold `Double.greatestFiniteMagnitude` (JSON has no
/// infinity), so a +infinity feature value goes right there, though training binned it with the largest values.
public struct DecisionTree: Codable, Equatable, Sendable {
    /// A node: internal nodes send `x[feature] <= threshold` (raw units; equivalently `bin <= bin`)
    /// to `left`, greater values to `right`, and NaN left iff `missingGoesLeft`.
    public struct Node: Codable, Equatable, Sendable {
        public var feature: Int
        public var threshold: Double
        public var bin: Int
        public var missingGoesLeft: Bool
        public var left: Int
        public var right: Int
        /// The leaf's raw-score contribution (0 for internal nodes).
        public var value: Double
        /// The split's gain (Chen & Guestrin 2016, eq. 7; 0 for leaves).
        public var gain: Double
        /// Training samples that reached the node.
        public var samples: Int

        public var isLeaf: Bool { feature < 0 }

        static func leaf(value: Double, samples: Int) -> Node {
            Node(feature: -1, threshold: 0, bin: 0, missingGoesLeft: false, left: -1, right: -1,
                 value: value, gain: 0, samples: samples)
        }
    }

    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    /// What makes decoded trees unsafe to predict with (a split on a feature that does not exist, a
    /// child index that is not after its parent and inside the tree, so prediction could loop), or nil.
    static func problem(in trees: [DecisionTree], featureCount: Int) -> String? {
        for (t, tree) in trees.enumerated() {
            if tree.nodes.isEmpty { return "tree \(t) has no nodes" }
            for (k, node) in tree.nodes.enumerated() where !node.isLeaf {
                if node.feature >= featureCount { return "tree \(t) node \(k) splits on feature \(node.feature)" }
                if !(k < node.left && node.left < tree.nodes.count && k < node.right && node.right < tree.nodes.count) {
                    return "tree \(t) node \(k) has children \(node.left), \(node.right) outside \(k + 1)..<\(tree.nodes.count)"
                }
            }
        }
        return nil
    }

    /// Number of leaves.
    public var leafCount: Int { nodes.reduce(0) { $0 + ($1.isLeaf ? 1 : 0) } }

    /// The tree's output for one row of raw features (`row[j]` is feature j).
    @inline(__always)
    func predict(row: UnsafePointer<Double>) -> Double {
        nodes.withUnsafeBufferPointer { n in
            var i = 0
            while n[i].feature >= 0 {
                let x = row[n[i].feature]
                let left = x.isNaN ? n[i].missingGoesLeft : x <= n[i].threshold
                i = left ? n[i].left : n[i].right
            }
            return n[i].value
        }
    }

    /// The tree's output for row `row` of a binned matrix (the training data).
    func predict(binned: BinnedMatrix, row: Int) -> Double {
        var i = 0
        while nodes[i].feature >= 0 {
            let b = binned.bins[nodes[i].feature * binned.rows + row]
            let left = b == BinMapper.missingBin ? nodes[i].missingGoesLeft : Int(b) <= nodes[i].bin
            i = left ? nodes[i].left : nodes[i].right
        }
        return nodes[i].value
    }

    /// Adds the tree's output to `scores[i]` for every row of `x` (row-major, `x.columns` features).
    func addPredictions(_ x: Matrix, to scores: inout [Double]) {
        precondition(scores.count == x.rows, "DecisionTree.addPredictions: one score per row")
        x.values.withUnsafeBufferPointer { v in
            guard let base = v.baseAddress else { return }
            for r in 0..<x.rows { scores[r] += predict(row: base + r * x.columns) }
        }
    }

    /// Adds the tree's output to `scores[i]` for every row of a binned matrix.
    func addPredictions(_ binned: BinnedMatrix, to scores: inout [Double]) {
        precondition(scores.count == binned.rows, "DecisionTree.addPredictions: one score per row")
        for r in 0..<binned.rows { scores[r] += predict(binned: binned, row: r) }
    }
}
