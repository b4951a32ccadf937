// SHA-256 of a file with Loom's FileHasher (swift-crypto, 1 MiB reads); prints seconds.
import Foundation
import LoomCore

guard CommandLine.arguments.count == 2 else { print("usage: bench-engine FILE"); exit(2) }
let t0 = DispatchTime.now().uptimeNanoseconds
_ = try FileHasher.digest(ofFile: CommandLine.arguments[1])
print(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
