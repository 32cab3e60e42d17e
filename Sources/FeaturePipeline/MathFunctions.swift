#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libm's functions under names that do not clash with the Double methods around them.
@inline(__always) func libm_log1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func libm_expm1(_ x: Double) -> Double { expm1(x) }
@inline(__always) func libm_log(_ x: Double) -> Double { log(x) }
@inline(__always) func libm_exp(_ x: Double) -> Double { exp(x) }
