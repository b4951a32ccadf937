import Foundation

/// Item-based top-N recommendation (Deshpande & Karypis 2004, "Item-based top-N recommendation
/// algorithms", ACM TOIS 22(1)): items are similar when the same users interact with both.
///
/// sim(i, j) = sum_u r_ui r_uj / (||r_.i|| ||r_.j||) * n_ij / (n_ij + shrinkage)     (i != j)
///
/// the cosine of the item columns of R, shrunk towards 0 by the number n_ij of users with both
/// (Koren 2008, "Factorization meets the neighborhood", eq. 2's shrinkage): two rare items one
/// user shares have cosine 1, evidence of nothing. With binary interactions and shrinkage 0 the
/// similarity is co-occurrence count / sqrt(n_i n_j). Each item keeps its
/// `neighbours` most similar items (similarity descending, ties by item number). A user's score
/// for item j is sum over the user's items i of r_ui sim(i, j) (Deshpande & Karypis's sum of the
/// similarities to the user's items, weighted by r_ui, without their normalisation of each item's
/// similarities to sum 1); only items with a positive score are recommended.
public enum ItemItem {
    public struct Config: Equatable, Sendable {
        /// Neighbours kept per item.
        public var neighbours = 100
        /// Users in common at which the cosine counts half (0: plain cosine).
        public var shrinkage = 0.0
        public init(neighbours: Int = 100, shrinkage: Double = 0) { self.neighbours = neighbours; self.shrinkage = shrinkage }
    }

    /// Items per parallel chunk when computing similarities (a constant).
    static let chunk = 512

    /// Fits the neighbour lists on the training matrix. Each item's similarities are summed over
    /// users ascending, then items ascending, whatever the thread count.
    public static func fit(_ x: Interactions, config: Config) -> ItemItemModel {
        let ni = x.items.count
        var norm = [Double](repeating: 0, count: ni)
        for i in 0..<ni { norm[i] = x.column(i).reduce(0) { $0 + x.columnValue[$1] * x.columnValue[$1] }.squareRoot() }
        let chunks = (ni + chunk - 1) / chunk
        var parts = [(start: [Int], item: [Int32], sim: [Double])](repeating: ([], [], []), count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.perform(iterations: chunks) { c in
                var dot = [Double](repeating: 0, count: ni), common = [Int32](repeating: 0, count: ni), touched: [Int32] = []
                var part: (start: [Int], item: [Int32], sim: [Double]) = ([], [], [])
                var top = Ranking.TopK(k: max(1, config.neighbours))
                for i in (c * chunk)..<min(ni, (c + 1) * chunk) {
                    // Structure: column i's users (ascending) -> each user's row (items ascending).
                    for k in x.column(i) {
                        let u = Int(x.userOf[k]), rui = x.columnValue[k]
                        for m in x.row(u) {
                            let j = Int(x.itemOf[m])
                            if j == i { continue }
                            if dot[j] == 0 { touched.append(Int32(j)) }
                            dot[j] += rui * x.value[m]
                            common[j] += 1
                        }
                    }
                    top.reset()
                    for j in touched {
                        let n = Double(common[Int(j)])
                        let shrunk = config.shrinkage == 0 ? 1 : n / (n + config.shrinkage)
                        top.offer(j, dot[Int(j)] / (norm[i] * norm[Int(j)]) * shrunk)
                        dot[Int(j)] = 0
                        common[Int(j)] = 0
                    }
                    touched.removeAll(keepingCapacity: true)
                    let best = top.finish()
                    part.start.append(part.item.count)
                    part.item += best.items
                    part.sim += best.scores
                }
                out[c] = part
            }
        }
        var model = ItemItemModel(start: [], neighbour: [], similarity: [])
        for p in parts {
            let base = model.neighbour.count
            model.start += p.start.map { $0 + base }
            model.neighbour += p.item
            model.similarity += p.sim
        }
        model.start.append(model.neighbour.count)
        return model
    }
}

/// Each item's nearest items by cosine similarity, in CSR form: item i's neighbours are
/// `neighbour[start[i]..<start[i + 1]]`, most similar first.
public struct ItemItemModel: Equatable, Sendable {
    public var start: [Int]
    public var neighbour: [Int32]
    public var similarity: [Double]

    /// The similarity of j to i if j is among i's kept neighbours, else 0.
    public func similarity(_ i: Int, _ j: Int) -> Double {
        for k in start[i]..<start[i + 1] where Int(neighbour[k]) == j { return similarity[k] }
        return 0
    }

    /// Offers user u's positive scores: sum over u's items i (ascending) of r_ui sim(i, j).
    public func score(_ x: Interactions, user u: Int, into s: inout Ranking.Scratch) {
        for m in x.row(u) {
            let i = Int(x.itemOf[m]), r = x.value[m]
            for k in start[i]..<start[i + 1] {
                let j = neighbour[k]
                if s.sums[Int(j)] == 0 { s.touched.append(j) }
                s.sums[Int(j)] += r * similarity[k]
            }
        }
        s.offerTouched()
    }
}
