// swift-tools-version: 6.0
// Benchmarks live in their own package so that `swift build` / `swift test` of Loom never compile them.
// Run everything with `bench/run.sh` (see bench/README.md).
import PackageDescription

let release: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "LoomBench",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "Loom", path: "..")],
    targets: [
        .executableTarget(name: "bench-clv", dependencies: [.product(name: "LoomAnalytics", package: "Loom")], swiftSettings: release),
        .executableTarget(name: "bench-gbdt", dependencies: [.product(name: "LoomAnalytics", package: "Loom")], swiftSettings: release),
        .executableTarget(name: "bench-kmeans", dependencies: [.product(name: "LoomAnalytics", package: "Loom")], swiftSettings: release),
        .executableTarget(name: "bench-csv", dependencies: [.product(name: "LoomAnalytics", package: "Loom")], swiftSettings: release),
        .executableTarget(name: "bench-engine", dependencies: [.product(name: "LoomCore", package: "Loom")], swiftSettings: release),
    ]
)
