// swift-tools-version: 6.0
import PackageDescription

// Numeric code runs 15-100x slower unoptimised; `swift test` builds in debug, so the analytics
// target (and its tests) are optimised even in debug builds to keep the suite fast.
let optimisedInDebug: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .swiftLanguageMode(.v5),
]
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "loom", targets: ["loom"]),
        .library(name: "LoomCore", targets: ["LoomCore"]),
        .library(name: "LoomAnalytics", targets: ["LoomAnalytics"]),
        .library(name: "LoomTasks", targets: ["LoomTasks"]),
        .library(name: "LoomCLI", targets: ["LoomCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The few system calls Swift cannot make safely or at all: starting a task in namespaces
        // (only system calls between clone and exec), reading the executable's build ID, and
        // renameat2 and sched_getaffinity (which Swift's Glibc module does not show).
        .target(name: "CLoomSystem"),
        .target(
            name: "LoomCore",
            dependencies: [
                "CLoomSystem",
                .product(name: "Yams", package: "Yams"),
                // SHA-256 through the package's BoringSSL C module (`SHA256Hasher`): the generic
                // `SHA256`'s first use cost every run 0.2-0.3 ms of type metadata.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // The S3 remote cache: SigV4 signing and an HTTP client (async-http-client, on SwiftNIO).
        .target(
            name: "LoomRemote",
            dependencies: [
                "LoomCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "LoomAnalytics", swiftSettings: optimisedInDebug),
        .target(name: "LoomTasks", dependencies: ["LoomCore", "LoomAnalytics"], swiftSettings: v5),
        .target(
            name: "LoomCLI",
            dependencies: [
                "LoomCore", "LoomTasks", "LoomRemote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: v5),
        // Release builds link `loom` as a position-dependent executable: a PIE of this size has
        // ~87,000 relocations to apply at every start (about 1-2 ms of a 12 ms no-op run,
        // bench/README.md); without PIE there are ~1,000. Nor does it export its symbols
        // (SwiftPM links executables with --export-dynamic): the Swift runtime's start-up calls
        // `dladdr` on itself, which scans the whole dynamic symbol table, 38,586 entries with
        // the export (about 0.8 ms of every command), a handful without. And it links libstdc++
        // statically: `Sources/loom/link/libstdc++.so` is a linker script naming `libstdc++.a`,
        // found before the system's libstdc++.so by the `-L` below (a search path applies to every
        // `-l`, so it beats the toolchain's `-lstdc++` that comes earlier on the command line).
        // Binding libstdc++.so at start-up cost 0.5 ms of every command (`loom --version` 1.51 ->
        // 1.04 ms; relocations 1,006 -> 555). The build the README gives, with
        // --static-swift-stdlib, then needs no libstdc++.so at all; a release build without it
        // links the archive's few functions BoringSSL's C++ files use (not exported) beside the
        // libstdc++.so the Swift runtime loads.
        .executableTarget(name: "loom", dependencies: ["LoomCLI"], exclude: ["link"], swiftSettings: v5,
                          linkerSettings: [.unsafeFlags(["-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic",
                                                         "-L", Context.packageDirectory + "/Sources/loom/link"],
                                                        .when(configuration: .release))]),

        .testTarget(name: "LoomCoreTests", dependencies: ["LoomCore"], swiftSettings: v5),
        .testTarget(name: "LoomAnalyticsTests", dependencies: ["LoomAnalytics"], swiftSettings: optimisedInDebug),
        .testTarget(name: "LoomTasksTests", dependencies: ["LoomTasks", "LoomCore"], swiftSettings: v5),
        .testTarget(name: "LoomCLITests", dependencies: ["LoomCLI"], swiftSettings: v5),
        .testTarget(name: "LoomRemoteTests", dependencies: ["LoomRemote", "LoomCore"], swiftSettings: v5),
        .testTarget(name: "LoomEndToEndTests", dependencies: ["LoomCore"], swiftSettings: v5),
    ]
)
