// Values known when the shader is translated: literals, `const` declarations, override defaults,
// and every expression built only from those. Integers are held in 64 bits (abstract ints need
// them); u32 values live in 0..<2^32. Floats are held as Double and rounded to the precision of
// their concrete type whenever they take one.
import Foundation

indirect enum ConstantValue: Hashable {
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case composite([ConstantValue])

    var components: [ConstantValue] {
        if case .composite(let parts) = self { return parts }
        return [self]
    }

    var intValue: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The zero value of a constructible type.
    static func zero(of type: IRType, in module: IRModule) -> ConstantValue {
        switch type {
        case .scalar(let s), .atomic(let s): return zero(of: s)
        case .vector(let n, let s): return .composite(Array(repeating: zero(of: s), count: n))
        case .matrix(let c, let r, let s): return .composite(Array(repeating: .composite(Array(repeating: zero(of: s), count: r)), count: c))
        case .array(let element, let count):
            if case .constant(let n) = count { return .composite(Array(repeating: zero(of: element, in: module), count: n)) }
            return .composite([])
        case .structure(let index): return .composite(module.structs[index].members.map { zero(of: $0.type, in: module) })
        case .pointer: return .composite([])
        }
    }

    static func zero(of scalar: ScalarKind) -> ConstantValue {
        switch scalar {
        case .bool: return .bool(false)
        case .i32, .u32, .abstractInt: return .int(0)
        case .f32, .f16, .abstractFloat: return .float(0)
        }
    }
}

/// Rounds and range-checks scalars into concrete types; the failure is a message for a diagnostic.
enum ScalarConversion {
    static let i32Range: ClosedRange<Int64> = -2_147_483_648...2_147_483_647
    static let u32Range: ClosedRange<Int64> = 0...4_294_967_295

    /// Converts a constant of kind `from` to kind `to` the way a value conversion (`u32(x)`) or an
    /// automatic abstract conversion would. `exact` demands the value survive unchanged (abstract
    /// conversions); otherwise integers wrap and floats saturate, as WGSL's concrete conversions do.
    static func convert(_ value: ConstantValue, from: ScalarKind, to: ScalarKind, exact: Bool) throws -> ConstantValue {
        if case .composite(let parts) = value {
            return .composite(try parts.map { try convert($0, from: from, to: to, exact: exact) })
        }
        switch to {
        case .bool:
            switch value {
            case .bool: return value
            case .int(let v): return .bool(v != 0)
            case .float(let v): return .bool(v != 0)
            default: throw message("cannot convert to bool")
            }
        case .i32, .u32, .abstractInt:
            let range: ClosedRange<Int64> = to == .i32 ? i32Range : (to == .u32 ? u32Range : Int64.min...Int64.max)
            switch value {
            case .bool(let b): return .int(b ? 1 : 0)
            case .int(let v):
                if range.contains(v) { return .int(v) }
                if exact { throw message("the value \(v) does not fit in \(to.wgslName)") }
                let bits = UInt32(truncatingIfNeeded: v)
                return .int(to == .i32 ? Int64(Int32(bitPattern: bits)) : Int64(bits))
            case .float(let v):
                if exact && v != v.rounded(.towardZero) { throw message("the value \(v) is not an integer") }
                if v.isNaN { return .int(0) }
                let truncated = v.rounded(.towardZero)
                let clamped = min(max(truncated, Double(range.lowerBound)), Double(range.upperBound))
                if exact && clamped != truncated { throw message("the value \(v) does not fit in \(to.wgslName)") }
                return .int(Int64(clamped))
            default: throw message("cannot convert to \(to.wgslName)")
            }
        case .f32, .f16, .abstractFloat:
            let d: Double
            switch value {
            case .bool(let b): d = b ? 1 : 0
            case .int(let v): d = Double(v)
            case .float(let v): d = v
            default: throw message("cannot convert to \(to.wgslName)")
            }
            return .float(try round(d, to: to))
        }
    }

    /// Rounds to the precision of `kind`, failing on values the type cannot represent.
    static func round(_ d: Double, to kind: ScalarKind) throws -> Double {
        guard d.isFinite else { throw message("the constant is not finite (overflow or division by zero)") }
        switch kind {
        case .f32:
            let f = Float(d)
            guard f.isFinite else { throw message("the value \(d) is too large for f32") }
            return Double(f)
        case .f16:
            guard abs(d) <= 65504 else { throw message("the value \(d) is too large for f16") }
            return Double(roundToHalf(d))
        default:
            return d
        }
    }

    /// Rounds to the nearest value representable in IEEE half precision.
    private static func roundToHalf(_ d: Double) -> Float {
        let f = Float(d)
        if f == 0 { return f }
        let exponent = max(Int(floor(log2(Double(abs(f))))), -14)
        let quantum = Float(pow(2.0, Double(exponent - 10)))
        return (f / quantum).rounded(.toNearestOrEven) * quantum
    }

    private static func message(_ text: String) -> ConversionFailure { ConversionFailure(message: text) }
}

struct ConversionFailure: Error {
    let message: String
}
