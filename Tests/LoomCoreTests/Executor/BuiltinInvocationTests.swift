import Foundation
import Testing
@testable import LoomCore

@Suite struct BuiltinInvocationTests {
    /// A task's `resources: cpus` travels through the job file to the kind's context; a job file
    /// without it means every core (nil).
    @Test(arguments: [3, nil] as [Int?]) func cpusReachTheKind(cpus: Int?) throws {
        let dir = NSTemporaryDirectory() + "loom-job-" + UUID().uuidString
        try FileSystem.makeDirectories(dir)
        defer { FileSystem.removeTree(dir) }
        let seen = Slots<Int?>(count: 1)
        let registry = KindRegistry([KindDescriptor(name: "probe", version: 1, summary: "records its context", params: [],
                                                    check: { _ in [] }, run: { _, context in seen[0] = context.cpus })])
        let job = BuiltinInvocation(kind: "probe", params: [:], inputs: [], output: dir, root: dir, files: [], cpus: cpus)
        try FileSystem.writeAtomically(dir + "/job.json", job.json.encoded(pretty: true))
        #expect((job.json.encoded().contains("\"cpus\"")) == (cpus != nil))
        try BuiltinInvocation(file: dir + "/job.json").run(registry: registry)
        #expect(seen[0] == .some(cpus))
    }
}
