import Foundation
import Testing
@testable import LoomCore

@Suite struct ProjectLockTests {
    /// Issue 10, hole 10: a loser that reads the lock file in the instant between the winner's
    /// flock and its write used to print "holder unknown".
    /// The holder's command line is one line of the lock file: line feeds become spaces, nothing
    /// else changes (a carriage return, non-ASCII text).
    @Test func theHoldersCommandIsOneLine() {
        #expect(ProjectLock.oneLine("loom run -P 'a=x\ny'") == "loom run -P 'a=x y'")
        #expect(ProjectLock.oneLine("é\r\n\n") == "é\r  ")
        #expect(ProjectLock.oneLine("") == "")
    }

    @Test func aLoserNamesAHolderThatHasNotWrittenItsRecordYet() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let path = dir.path + "/lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)   // the winner, before it writes anything
        // A thread of its own: on the shared dispatch pool the write waited behind other tests'
        // parallel loops for more than the half second the loser waits (seen once in a full run).
        let writer = Thread {
            usleep(20_000)
            _ = "pid=42\nstarted=2026-12-03T00:00:00.000Z\ncommand=loom run\n".withCString { pwrite(fd, $0, strlen($0), 0) }
        }
        writer.start()
        do {
            try ProjectLock(path: path).acquire(wait: false, command: "loom run")
            Issue.record("the lock is held")
        } catch let busy as ProjectLock.Busy {
            #expect(busy.holder == "pid 42, started 2026-12-03T00:00:00.000Z")
        }
    }

    /// A holder that dies leaves its record (with its run) for the next holder; a clean release
    /// leaves nothing; a holder that could not finish its run record leaves it on purpose.
    @Test func theNextHolderLearnsWhichRunDidNotFinish() throws {
        let dir = TestDir()
        defer { dir.remove() }
        let path = dir.path + "/lock"
        let a = ProjectLock(path: path)
        try a.acquire(wait: false, command: "loom run")
        a.note(run: "20261203-000000-000-aa")
        a.leaveHolderRecord = true
        a.release()
        let b = ProjectLock(path: path)
        try b.acquire(wait: false, command: "loom verify")
        #expect(b.previousRun == "20261203-000000-000-aa")
        #expect(b.previousHolder?.hasPrefix("pid \(getpid()), started ") == true)
        b.release()
        let c = ProjectLock(path: path)
        try c.acquire(wait: false, command: "loom gc")
        #expect(c.previousHolder == nil && c.previousRun == nil)
        c.release()
    }
}
