import Foundation
import Testing
@testable import LoomAnalytics

@Suite struct MinimizerTests {
    // Rosenbrock: minimum 0 at (1, 1). Tolerance 1e-5: BFGS stops at a gradient norm of ~1e-7,
    // and near this valley's floor |x - x*| is about gradient / smallest curvature (~0.4).
    @Test func rosenbrock() {
        let r = Minimizer.bfgs({ x in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }, start: [-1.2, 1])
        #expect(abs(r.x[0] - 1) < 1e-5 && abs(r.x[1] - 1) < 1e-5)
        #expect(r.converged)
    }

    // A quadratic 0.5 x'Ax - b'x has its minimum at A^-1 b and Hessian A (exact up to rounding).
    @Test func quadraticAndHessian() throws {
        let a = [[4.0, 1], [1, 3]], b = [1.0, 2]
        let f: ([Double]) -> Double = { x in 0.5 * (a[0][0] * x[0] * x[0] + 2 * a[0][1] * x[0] * x[1] + a[1][1] * x[1] * x[1]) - b[0] * x[0] - b[1] * x[1] }
        let r = Minimizer.bfgs(f, start: [0, 0])
        #expect(abs(r.x[0] - 1.0 / 11) < 1e-7 && abs(r.x[1] - 7.0 / 11) < 1e-7)
        let h = Minimizer.hessian(f, r.x)
        #expect(abs(h[0][0] - 4) < 1e-5 && abs(h[0][1] - 1) < 1e-5 && abs(h[1][1] - 3) < 1e-5)
        let inv = try #require(Minimizer.inverse(a))
        #expect(abs(inv[0][0] - 3.0 / 11) < 1e-12 && abs(inv[0][1] + 1.0 / 11) < 1e-12)
        #expect(Minimizer.inverse([[1, 2], [2, 4]]) == nil)
    }
}
