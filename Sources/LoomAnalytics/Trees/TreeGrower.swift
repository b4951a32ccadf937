import Foundation

/// Grows one regression tree on gradients and hessians, leaf-wise (best-first, as LightGBM and
/// scikit-learn's `grower.py`): the leaf whose best split has the largest gain is split next, until
/// `maxLeafNodes` leaves, no positive gain, or `maxDepth`.
///
/// Samples are kept as one index array partitioned in place (stably) so that each node owns a contiguous
/// range; only the smaller child of a split has its histogram summed from samples, the larger one is the
/// parent's minus it. The grower owns its buffers and is reused across boosting rounds.
final class TreeGrower {
    struct Limits: Sendable {
        var maxLeafNodes: Int
        var maxDepth: Int?
        var learningRate: Double
    }

    /// A random forest's feature subsampling per split: every split search draws a fresh permutation of
    /// the features from `random` and takes the best split among the first `count` (see `Splitter.pick`).
    /// The grower searches splits in a fixed order (the root, then the children of each split, left
    /// before right), so the draws, and the tree, depend only on the seed.
    struct FeatureSampling: Sendable {
        var count: Int
        var random: SeededRandom
    }

    /// A leaf of the tree being grown: its sample range, sums, depth, histogram slot and best split.
    private struct Leaf {
        var node: Int                 // index in `nodes`
        var start: Int, end: Int      // range in `indices`
        var total: HistogramBin
        var depth: Int
        var slot: Int?                // histogram slot, kept while the leaf may still be split
        var split: SplitCandidate?
    }

    let binned: BinnedMatrix
    let binCounts: [Int]
    let splitter: Splitter
    let limits: Limits
    /// nil: every split considers every feature (gradient boosting).
    private var sampling: FeatureSampling?
    private var indices: [Int32]
    private var scratch: [Int32]
    private var ordered: [SIMD2<Double>]
    private var histograms: [Histogram]
    private var freeSlots: [Int]

    /// Rows per task of a parallel partition (a parameter only so that tests can use tiny chunks).
    let partitionChunk: Int

    init(binned: BinnedMatrix, binCounts: [Int], splitter: Splitter, limits: Limits, sampling: FeatureSampling? = nil,
         partitionChunk: Int = TreeGrower.defaultPartitionChunk) {
        self.sampling = sampling
        precondition(partitionChunk > 0, "TreeGrower: partitionChunk must be positive")
        self.partitionChunk = partitionChunk
        precondition(binned.rows <= Int(Int32.max), "TreeGrower: too many rows for Int32 indices")
        self.binned = binned
        self.binCounts = binCounts
        self.splitter = splitter
        self.limits = limits
        indices = [Int32](repeating: 0, count: binned.rows)
        scratch = indices
        ordered = [SIMD2<Double>](repeating: .zero, count: binned.rows)
        histograms = []
        freeSlots = []
    }

    /// A grown tree (bin thresholds only; `threshold` is filled in by the caller) and, per leaf node,
    /// the samples that reached it.
    struct Grown {
        var tree: DecisionTree
        var leafSamples: [(node: Int, samples: ArraySlice<Int32>)]
    }

    /// Grows one tree. `gradients[i]` is (gradient, hessian) of row `i` of the binned matrix.
    func grow(gradients: [SIMD2<Double>]) -> Grown {
        for i in 0..<indices.count { indices[i] = Int32(i) }
        freeSlots = Array(histograms.indices.reversed())
        var nodes = [DecisionTree.Node.leaf(value: 0, samples: binned.rows)]
        let rootSlot = takeSlot()
        buildHistogram(slot: rootSlot, start: 0, end: binned.rows, all: true, gradients)
        var root = Leaf(node: 0, start: 0, end: binned.rows, total: histograms[rootSlot].totals(), depth: 0,
                        slot: rootSlot, split: nil)
        var leaves = [root]
        if canSplit(root, leafCount: 1) {
            root.split = sampling == nil
                ? splitter.bestSplit(histogram: histograms[rootSlot], binCounts: binCounts, total: root.total)
                : sampled(splitter.candidates([(histograms[rootSlot], root.total)], binCounts: binCounts))[0]
            leaves[0] = root
        }
        // Best-first loop: pick the leaf with the largest gain (ties: the earliest leaf), split it, find its
        // children's splits; stop at maxLeafNodes or when no leaf has a positive-gain split.
        while leaves.count < limits.maxLeafNodes, let k = bestLeaf(leaves) {
            let (left, right) = split(leaves[k], nodes: &nodes, leafCount: leaves.count + 1, gradients)
            leaves[k] = left
            leaves.insert(right, at: k + 1)
        }
        for leaf in leaves {
            if let s = leaf.slot { freeSlots.append(s) }
            // Newton step -G / (H + lambda) (Chen & Guestrin 2016, eq. 5), shrunk; 0 when the leaf has no
            // curvature at all (every p rounded to exactly 0 or 1, lambda = 0), where the step is undefined.
            let h = leaf.total.sumHessians + splitter.l2
            let value = h > 0 ? -leaf.total.sumGradients / h * limits.learningRate : 0
            nodes[leaf.node] = .leaf(value: value, samples: leaf.end - leaf.start)
        }
        let samples = leaves.map { (node: $0.node, samples: indices[$0.start..<$0.end]) }
        return Grown(tree: DecisionTree(nodes: nodes), leafSamples: samples)
    }

    private func bestLeaf(_ leaves: [Leaf]) -> Int? {
        var best: (index: Int, gain: Double)?
        for (k, leaf) in leaves.enumerated() {
            guard let g = leaf.split?.gain else { continue }
            if g > best?.gain ?? -.infinity { best = (k, g) }
        }
        return best?.index
    }

    /// Each node's split among a random subset of the features, drawn node by node in order.
    private func sampled(_ candidates: [[SplitCandidate?]]) -> [SplitCandidate?] {
        guard var s = sampling else { preconditionFailure("TreeGrower.sampled: no feature sampling") }
        defer { sampling = s }
        return candidates.map { c in
            var order = Array(0..<c.count)
            s.random.shuffle(&order)
            return Splitter.pick(c, order: order, count: s.count)
        }
    }

    /// A free histogram slot; the pool grows on demand (at most one slot per splittable leaf plus one).
    private func takeSlot() -> Int {
        if let s = freeSlots.popLast() { return s }
        histograms.append(Histogram(features: binned.columns))
        return histograms.count - 1
    }

    /// Whether a leaf may be split: enough samples for two children, depth below the limit, and room
    /// for another leaf once `leafCount` leaves exist.
    private func canSplit(_ leaf: Leaf, leafCount: Int) -> Bool {
        if leafCount >= limits.maxLeafNodes { return false }
        if let d = limits.maxDepth, leaf.depth >= d { return false }
        return leaf.end - leaf.start >= 2 * splitter.minSamplesLeaf
            && leaf.total.sumHessians >= 2 * splitter.minHessian
    }

    /// Splits `parent` (which has a split): partitions its samples, records the internal node, builds the
    /// children's histograms (smaller directly, larger by subtraction) when they may be split further.
    private func split(_ parent: Leaf, nodes: inout [DecisionTree.Node], leafCount: Int,
                       _ gradients: [SIMD2<Double>]) -> (Leaf, Leaf) {
        guard let s = parent.split, let parentSlot = parent.slot else {
            preconditionFailure("TreeGrower.split: leaf without a split")
        }
        let mid = partition(start: parent.start, end: parent.end, split: s)
        let leftNode = nodes.count, rightNode = nodes.count + 1
        nodes[parent.node] = DecisionTree.Node(
            feature: s.feature, threshold: 0, bin: s.bin, missingGoesLeft: s.missingGoesLeft,
            left: leftNode, right: rightNode, value: 0, gain: s.gain, samples: parent.end - parent.start)
        nodes.append(.leaf(value: 0, samples: mid - parent.start))
        nodes.append(.leaf(value: 0, samples: parent.end - mid))
        var left = Leaf(node: leftNode, start: parent.start, end: mid, total: s.left, depth: parent.depth + 1)
        var right = Leaf(node: rightNode, start: mid, end: parent.end, total: s.right, depth: parent.depth + 1)
        let leftOK = canSplit(left, leafCount: leafCount), rightOK = canSplit(right, leafCount: leafCount)
        let leftSmaller = mid - parent.start <= parent.end - mid
        if !leftOK && !rightOK {
            freeSlots.append(parentSlot)
            return (left, right)
        }
        // The smaller child is summed from samples into a new slot; the larger one reuses the parent's slot.
        let smallSlot = takeSlot()
        let small = leftSmaller ? left : right
        buildHistogram(slot: smallSlot, start: small.start, end: small.end, all: false, gradients)
        let largeOK = leftSmaller ? rightOK : leftOK, smallOK = leftSmaller ? leftOK : rightOK
        if largeOK {
            histograms[parentSlot].subtract(histograms[smallSlot])
        } else {
            freeSlots.append(parentSlot)
        }
        if !smallOK { freeSlots.append(smallSlot) }
        if leftSmaller {
            if leftOK { left.slot = smallSlot }
            if rightOK { right.slot = parentSlot }
        } else {
            if rightOK { right.slot = smallSlot }
            if leftOK { left.slot = parentSlot }
        }
        let open = [left, right].compactMap { leaf in leaf.slot.map { (histogram: histograms[$0], total: leaf.total) } }
        var found = (sampling == nil ? splitter.bestSplits(open, binCounts: binCounts)
                                     : sampled(splitter.candidates(open, binCounts: binCounts)))[...]
        if left.slot != nil { left.split = found.popFirst() ?? nil }
        if right.slot != nil { right.split = found.popFirst() ?? nil }
        return (left, right)
    }

    /// Rows per task of a parallel partition: fixed, so the result never depends on the thread count
    /// (it does not anyway: a stable partition has exactly one answer).
    static let defaultPartitionChunk = 16_384

    /// Stable in-place partition of `indices[start..<end]` by the split: left samples first, in their
    /// original order, then right samples in theirs. Returns the first right position. Large ranges are
    /// split into chunks: each chunk counts its left samples, prefix sums give every chunk its place, and
    /// each chunk copies its samples there through the scratch buffer.
    private func partition(start: Int, end: Int, split s: SplitCandidate) -> Int {
        var table = [Int](repeating: 0, count: 256)         // whether each bin goes left (1) or right (0)
        for b in 0..<256 { table[b] = s.goesLeft(UInt8(b)) ? 1 : 0 }
        let rows = binned.rows, size = partitionChunk
        let chunks = (end - start + size - 1) / size
        return binned.bins.withUnsafeBufferPointer { all in
            indices.withUnsafeMutableBufferPointer { idxBuffer in
                scratch.withUnsafeMutableBufferPointer { tmpBuffer in
                    table.withUnsafeBufferPointer { goesLeft in
                        guard let base = all.baseAddress else { return start }
                        let column = base + s.feature * rows, idx = idxBuffer, tmp = tmpBuffer
                        if chunks < 2 { return Self.partitionSerial(idx, tmp, start, end, column, goesLeft) }
                        var lefts = [Int](repeating: 0, count: chunks)
                        lefts.withUnsafeMutableBufferPointer { l in
                            let counts = l
                            Parallel.perform(iterations: chunks) { c in
                                var n = 0
                                for k in (start + c * size)..<min(end, start + (c + 1) * size) {
                                    n &+= goesLeft[Int(column[Int(idx[k])])]
                                }
                                counts[c] = n
                            }
                        }
                        let totalLeft = lefts.reduce(0, +)
                        var leftAt = [Int](), rightAt = [Int]()
                        var l = start, r = start + totalLeft
                        for c in 0..<chunks {
                            leftAt.append(l); rightAt.append(r)
                            l += lefts[c]
                            r += min(end, start + (c + 1) * size) - (start + c * size) - lefts[c]
                        }
                        Parallel.perform(iterations: chunks) { c in
                            var w = leftAt[c], v = rightAt[c]
                            for k in (start + c * size)..<min(end, start + (c + 1) * size) {
                                let i = idx[k]
                                let left = goesLeft[Int(column[Int(i)])]
                                // Branch-free: pick the destination, move one cursor. (Writing both sides, as the
                                // serial loop does, would write into the next chunk's range here.)
                                tmp[left == 1 ? w : v] = i
                                w &+= left
                                v &+= 1 &- left
                            }
                        }
                        for k in start..<end { idx[k] = tmp[k] }
                        return start + totalLeft
                    }
                }
            }
        }
    }

    /// The serial partition: left samples compacted in place, right ones through the scratch buffer.
    /// Branch-free (the test is a coin flip for the branch predictor): every index is written to both
    /// sides and only the matching cursor moves.
    private static func partitionSerial(
        _ idx: UnsafeMutableBufferPointer<Int32>, _ tmp: UnsafeMutableBufferPointer<Int32>, _ start: Int, _ end: Int,
        _ column: UnsafePointer<UInt8>, _ goesLeft: UnsafeBufferPointer<Int>
    ) -> Int {
        var w = start, r = 0
        for k in start..<end {
            let i = idx[k]
            let left = goesLeft[Int(column[Int(i)])]
            idx[w] = i
            tmp[r] = i
            w &+= left
            r &+= 1 &- left
        }
        for k in 0..<r { idx[w + k] = tmp[k] }
        return w
    }

    private func buildHistogram(slot: Int, start: Int, end: Int, all: Bool, _ gradients: [SIMD2<Double>]) {
        indices.withUnsafeBufferPointer { idx in
            gradients.withUnsafeBufferPointer { g in
                ordered.withUnsafeMutableBufferPointer { o in
                    let range = all ? nil : UnsafeBufferPointer(rebasing: idx[start..<end])
                    histograms[slot].build(binned: binned, indices: range, gradients: g, ordered: o)
                }
            }
        }
    }
}
