import Testing
@testable import LoomAnalytics

@Suite struct TreeGrowerTests {
    /// 400 rows, 3 features; labels y = [x1 > 0.6] with 20% flipped at random, so that a split on x1 near
    /// 0.6 explains most of the gradients and the noise leaves positive-gain splits for more leaves.
    func problem() -> (BinnedMatrix, [Int], [SIMD2<Double>]) {
        var rng = SeededRandom(seed: 5)
        let n = 400
        let x = Matrix(rows: n, columns: 3, values: (0..<(3 * n)).map { _ in rng.uniform() })
        let mapper = BinMapper.fit(x, maxBins: 32, seed: 0)
        let g = (0..<n).map { i -> SIMD2<Double> in
            let y = (x[i, 1] > 0.6) != (rng.uniform() < 0.2) ? 1.0 : 0.0
            let p = 0.3 + 0.1 * x[i, 2]
            return SIMD2(p - y, p * (1 - p))
        }
        return (mapper.transform(x), mapper.binCounts, g)
    }

    func grower(_ binned: BinnedMatrix, _ counts: [Int], leaves: Int, depth: Int? = nil, lr: Double = 1,
                chunk: Int = TreeGrower.defaultPartitionChunk) -> TreeGrower {
        TreeGrower(binned: binned, binCounts: counts, splitter: Splitter(l2: 1, minSamplesLeaf: 10, minHessian: 1e-3),
                   limits: .init(maxLeafNodes: leaves, maxDepth: depth, learningRate: lr), partitionChunk: chunk)
    }

    // Invariants: leaves partition the rows; each leaf value is -G/(H + lambda) * lr of its own samples;
    // leaf counts respect minSamplesLeaf and maxLeafNodes.
    @Test func leavesPartitionRowsWithNewtonValues() {
        let (binned, counts, g) = problem()
        let grown = grower(binned, counts, leaves: 7, lr: 0.5).grow(gradients: g)
        #expect(grown.tree.leafCount == 7)
        var seen = [Int](repeating: 0, count: binned.rows)
        for leaf in grown.leafSamples {
            let node = grown.tree.nodes[leaf.node]
            #expect(node.isLeaf && node.samples == leaf.samples.count && node.samples >= 10)
            let sum = leaf.samples.reduce(SIMD2<Double>.zero) { $0 + g[Int($1)] }
            // Same sums in another order: rounding of a few hundred terms <= 1 in size, far below 1e-10.
            #expect(abs(node.value - (-sum.x / (sum.y + 1) * 0.5)) < 1e-10)
            for i in leaf.samples {
                seen[Int(i)] += 1
                #expect(grown.tree.predict(binned: binned, row: Int(i)) == node.value)
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }

    // With two leaves the tree is the root's best split, which is on the informative feature x1.
    @Test func twoLeavesIsTheRootSplit() {
        let (binned, counts, g) = problem()
        let grown = grower(binned, counts, leaves: 2).grow(gradients: g)
        #expect(grown.tree.nodes.count == 3)
        #expect(grown.tree.nodes[0].feature == 1)
    }

    @Test func maxDepthIsRespected() {
        let (binned, counts, g) = problem()
        let tree = grower(binned, counts, leaves: 31, depth: 2).grow(gradients: g).tree
        func depth(_ i: Int) -> Int {
            let n = tree.nodes[i]
            return n.isLeaf ? 0 : 1 + max(depth(n.left), depth(n.right))
        }
        #expect(depth(0) <= 2 && tree.leafCount <= 4)
    }

    // The grower reuses its buffers across rounds: growing twice gives the same tree.
    @Test func growingTwiceGivesTheSameTree() {
        let (binned, counts, g) = problem()
        let gr = grower(binned, counts, leaves: 15)
        #expect(gr.grow(gradients: g).tree == gr.grow(gradients: g).tree)
    }

    // The chunked (parallel) partition is stable like the serial one: with chunks of 13 rows the tree and
    // every leaf's samples, in order, are the same as with one chunk.
    @Test func chunkedPartitionEqualsSerial() {
        let (binned, counts, g) = problem()
        let a = grower(binned, counts, leaves: 15, chunk: 13).grow(gradients: g)
        let b = grower(binned, counts, leaves: 15).grow(gradients: g)
        #expect(a.tree == b.tree)
        #expect(a.leafSamples.map { Array($0.samples) } == b.leafSamples.map { Array($0.samples) })
        for leaf in a.leafSamples { #expect(leaf.samples.elementsEqual(leaf.samples.sorted())) }
    }
}
