import Foundation

/// Implicit feedback split in time, as sparse matrices: the training interactions (events before
/// the split) as a user x item matrix in CSR and CSC form, and per user the items purchased before
/// and after the split.
///
/// A training interaction r_ui is the sum of the weights of user u's events on item i before the
/// split, over the event types that have a weight (`weights`); events of other types are ignored
/// (for example `remove_from_cart`). The test set of u is the distinct items u purchased at or
/// after the split. Users and items are numbered in byte order of their ids (`String` `<` is by
/// Unicode scalars), so every result is independent of hashing and of the table's row order.
/// Sums over a user's events on one item are taken in the table's row order. Events with an empty
/// user or item (a log without products) are left out and counted (`withoutIds`).
public struct Interactions: Sendable {
    /// Every user with a training interaction or a purchase, sorted.
    public var users: [String]
    /// Every item with a training interaction or a purchase, sorted.
    public var items: [String]
    /// The training matrix by user: row u is `itemOf[rowStart[u]..<rowStart[u + 1]]` (items ascending)
    /// with `value` r_ui > 0.
    public var rowStart: [Int]
    public var itemOf: [Int32]
    public var value: [Double]
    /// The same matrix by item: column i is `userOf[columnStart[i]..<columnStart[i + 1]]` (users ascending).
    public var columnStart: [Int]
    public var userOf: [Int32]
    public var columnValue: [Double]
    /// Items each user purchased before the split (ascending; whether or not purchases are weighted).
    public var trainPurchases: [[Int32]]
    /// Items each user purchased at or after the split (distinct, ascending).
    public var testPurchases: [[Int32]]
    /// Events left out for an empty user or item id.
    public var withoutIds = 0

    /// Training interactions of user u: (item, r_ui), items ascending.
    public func row(_ u: Int) -> Range<Int> { rowStart[u]..<rowStart[u + 1] }
    public func column(_ i: Int) -> Range<Int> { columnStart[i]..<columnStart[i + 1] }
    /// Users with at least one training interaction.
    public func hasTraining(_ u: Int) -> Bool { rowStart[u + 1] > rowStart[u] }
    /// Items with at least one training interaction: the catalogue recommendations come from.
    public var catalogue: [Int] { (0..<items.count).filter { columnStart[$0 + 1] > columnStart[$0] } }

    /// Builds the split from one row per event. `split` is in the same unit as `time` (epoch
    /// seconds); events at `time < split` train, purchases at `time >= split` test.
    public static func build(user: [String], item: [String], type: [String], time: [Double],
                             weights: [String: Double], purchaseEvent: String, split: Double) -> Interactions {
        let n = user.count
        // Which rows matter: weighted training events and test purchases.
        var weightOf = [Double](repeating: 0, count: n)
        var isTrain = [Bool](repeating: false, count: n), isTrainPurchase = isTrain, isTest = isTrain
        var withoutIds = 0
        for r in 0..<n {
            if user[r].isEmpty || item[r].isEmpty {
                withoutIds += 1
                continue
            }
            if time[r] < split {
                if let w = weights[type[r]] { weightOf[r] = w; isTrain[r] = true }
                isTrainPurchase[r] = type[r] == purchaseEvent
            } else if type[r] == purchaseEvent {
                isTest[r] = true
            }
        }
        let used = (0..<n).filter { isTrain[$0] || isTest[$0] || isTrainPurchase[$0] }
        let users = numbering(used.map { user[$0] }), items = numbering(used.map { item[$0] })
        let uOf = users.index, iOf = items.index
        let nu = users.names.count, ni = items.names.count
        // Training rows grouped by user (counting sort keeps table order within a user), then each
        // user's events sorted by (item, row) and summed per item.
        var perUser = [Int](repeating: 0, count: nu + 1)
        for r in used where isTrain[r] { perUser[Int(uOf[user[r]]!) + 1] += 1 }
        for u in 0..<nu { perUser[u + 1] += perUser[u] }
        var slot = perUser, order = [Int](repeating: 0, count: perUser[nu])
        for r in used where isTrain[r] {
            let u = Int(uOf[user[r]]!)
            order[slot[u]] = r
            slot[u] += 1
        }
        var rowStart = [0], itemOf: [Int32] = [], value: [Double] = []
        itemOf.reserveCapacity(order.count)
        value.reserveCapacity(order.count)
        for u in 0..<nu {
            let rows = order[perUser[u]..<perUser[u + 1]].map { (iOf[item[$0]]!, $0) }.sorted { $0 < $1 }
            for (i, r) in rows {
                if itemOf.count > rowStart[u], itemOf[itemOf.count - 1] == i {
                    value[value.count - 1] += weightOf[r]
                } else {
                    itemOf.append(i)
                    value.append(weightOf[r])
                }
            }
            rowStart.append(itemOf.count)
        }
        // The transpose, users ascending within each item.
        var columnStart = [Int](repeating: 0, count: ni + 1)
        for i in itemOf { columnStart[Int(i) + 1] += 1 }
        for i in 0..<ni { columnStart[i + 1] += columnStart[i] }
        var fill = columnStart, userOf = [Int32](repeating: 0, count: itemOf.count), columnValue = [Double](repeating: 0, count: itemOf.count)
        for u in 0..<nu {
            for k in rowStart[u]..<rowStart[u + 1] {
                let i = Int(itemOf[k])
                userOf[fill[i]] = Int32(u)
                columnValue[fill[i]] = value[k]
                fill[i] += 1
            }
        }
        var trainPurchases = [[Int32]](repeating: [], count: nu), testPurchases = trainPurchases
        for r in used where isTest[r] || isTrainPurchase[r] {
            let u = Int(uOf[user[r]]!), i = iOf[item[r]]!
            if isTest[r] { testPurchases[u].append(i) } else { trainPurchases[u].append(i) }
        }
        func distinct(_ a: [Int32]) -> [Int32] {
            var out: [Int32] = []
            for x in a.sorted() where out.last != x { out.append(x) }
            return out
        }
        return Interactions(users: users.names, items: items.names, rowStart: rowStart, itemOf: itemOf, value: value,
                            columnStart: columnStart, userOf: userOf, columnValue: columnValue,
                            trainPurchases: trainPurchases.map(distinct), testPurchases: testPurchases.map(distinct), withoutIds: withoutIds)
    }

    /// Distinct ids in byte order, and each id's number.
    static func numbering(_ ids: [String]) -> (names: [String], index: [String: Int32]) {
        var seen = Set<String>()
        for id in ids { seen.insert(id) }
        let names = seen.sorted()
        var index: [String: Int32] = [:]
        index.reserveCapacity(names.count)
        for (k, id) in names.enumerated() { index[id] = Int32(k) }
        return (names, index)
    }
}
