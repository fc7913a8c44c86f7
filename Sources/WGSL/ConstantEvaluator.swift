// Folds expressions made of literals and constants to values, with WGSL's rules for constant
// expressions: integer overflow, division by zero and out-of-range shifts are errors here (at
// translation time), not the wrapped or defined-by-policy results they give at run time.
import Foundation

extension Resolver {
    /// The value of `e` if it is a constant expression, nil if it depends on anything run-time
    /// (variables, lets, overrides, calls).
    func constantValue(of e: IRExpression) throws -> ConstantValue? {
        switch e.kind {
        case .literal(let value):
            return value
        case .constant(let index):
            return module.constants[index].value
        case .unary(let op, let a):
            guard let value = try constantValue(of: a), let kind = a.type.leafScalar else { return nil }
            return try map(value) { try unaryScalar(op, $0, kind: kind, span: e.span) }
        case .binary(let op, let a, let b):
            guard let left = try constantValue(of: a), let right = try constantValue(of: b), let kind = a.type.leafScalar else { return nil }
            // Matrix products stay run-time expressions; GLSL folds them itself.
            if isMatrix(a.type) || isMatrix(b.type) { return nil }
            return try zipBroadcast(left, right) { try binaryScalar(op, $0, $1, kind: kind, span: e.span) }
        case .construct(let arguments):
            var values: [ConstantValue] = []
            for argument in arguments {
                guard let value = try constantValue(of: argument) else { return nil }
                values.append(value)
            }
            switch e.type {
            case .vector(let n, _):
                let flat = values.flatMap { $0.components }
                return .composite(flat.count == 1 ? Array(repeating: flat[0], count: n) : flat)
            case .matrix(let c, let r, _):
                let flat = values.flatMap { value -> [ConstantValue] in
                    if case .composite(let parts) = value { return parts }
                    return [value]
                }
                if values.count == c && flat.count == c * r { return .composite(values) }
                return .composite((0..<c).map { column in .composite(Array(flat[(column * r)..<(column * r + r)])) })
            default:
                return .composite(values)
            }
        case .convert(let a):
            guard let value = try constantValue(of: a), let from = a.type.leafScalar, let to = e.type.leafScalar else { return nil }
            return try convertConstant(value, from: from, to: to, span: e.span, exact: false)
        case .bitcast(let a):
            guard let value = try constantValue(of: a), let from = a.type.scalarKind, let to = e.type.scalarKind,
                  from.byteSize == 4, to.byteSize == 4 else { return nil }
            return map(value) { Resolver.bitcastScalar($0, from: from, to: to) }
        case .swizzle(let base, let components):
            guard let value = try constantValue(of: base) else { return nil }
            let parts = value.components
            return components.count == 1 ? parts[components[0]] : .composite(components.map { parts[$0] })
        case .member(let base, let index):
            guard let value = try constantValue(of: base) else { return nil }
            return value.components[index]
        case .access(let base, let index):
            guard let value = try constantValue(of: base), let i = try constantValue(of: index)?.intValue else { return nil }
            let parts = value.components
            guard i >= 0 && Int(i) < parts.count else {
                throw CompileError("index \(i) is out of bounds (\(parts.count) elements)", index.span)
            }
            return parts[Int(i)]
        case .builtin(let f, let arguments) where Resolver.foldableBuiltins.contains(f):
            var values: [ConstantValue] = []
            for argument in arguments {
                guard let value = try constantValue(of: argument) else { return nil }
                values.append(value)
            }
            guard let kind = arguments.first?.type.leafScalar else { return nil }
            return try evaluateBuiltin(f, values, kind: kind, argumentTypes: arguments.map(\.type), span: e.span)
        default:
            return nil
        }
    }

    private func map(_ value: ConstantValue, _ transform: (ConstantValue) throws -> ConstantValue) rethrows -> ConstantValue {
        if case .composite(let parts) = value { return .composite(try parts.map { try map($0, transform) }) }
        return try transform(value)
    }

    /// Applies a scalar operation component-wise, broadcasting a scalar against a composite.
    private func zipBroadcast(_ a: ConstantValue, _ b: ConstantValue, _ op: (ConstantValue, ConstantValue) throws -> ConstantValue) throws -> ConstantValue {
        switch (a, b) {
        case (.composite(let x), .composite(let y)): return .composite(try zip(x, y).map { try zipBroadcast($0, $1, op) })
        case (.composite(let x), _): return .composite(try x.map { try zipBroadcast($0, b, op) })
        case (_, .composite(let y)): return .composite(try y.map { try zipBroadcast(a, $0, op) })
        default: return try op(a, b)
        }
    }

    private func checkedInteger(_ value: Int64?, kind: ScalarKind, what: String, span: SourceSpan) throws -> ConstantValue {
        guard let v = value else { throw CompileError("\(what) overflows in a constant expression", span) }
        let range: ClosedRange<Int64> = kind == .i32 ? ScalarConversion.i32Range : (kind == .u32 ? ScalarConversion.u32Range : Int64.min...Int64.max)
        guard range.contains(v) else {
            throw CompileError("\(what) overflows \(kind.wgslName) in a constant expression (result \(v))", span)
        }
        return .int(v)
    }

    private func unaryScalar(_ op: UnaryOperator, _ v: ConstantValue, kind: ScalarKind, span: SourceSpan) throws -> ConstantValue {
        switch (op, v) {
        case (.negate, .int(let x)):
            let (r, overflow) = Int64(0).subtractingReportingOverflow(x)
            return try checkedInteger(overflow ? nil : r, kind: kind, what: "the negation", span: span)
        case (.negate, .float(let x)): return .float(-x)
        case (.logicalNot, .bool(let x)): return .bool(!x)
        case (.bitwiseNot, .int(let x)):
            switch kind {
            case .u32: return .int(Int64(~UInt32(truncatingIfNeeded: x)))
            case .i32: return .int(Int64(~Int32(truncatingIfNeeded: x)))
            default: return .int(~x)
            }
        default:
            throw CompileError("cannot fold this unary operation", span)
        }
    }

    private func binaryScalar(_ op: BinaryOperator, _ a: ConstantValue, _ b: ConstantValue, kind: ScalarKind, span: SourceSpan) throws -> ConstantValue {
        switch (a, b) {
        case (.bool(let x), .bool(let y)):
            switch op {
            case .logicalAnd, .and: return .bool(x && y)
            case .logicalOr, .or: return .bool(x || y)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            default: break
            }
        case (.int(let x), .int(let y)):
            switch op {
            case .add: let (r, o) = x.addingReportingOverflow(y); return try checkedInteger(o ? nil : r, kind: kind, what: "the addition", span: span)
            case .subtract: let (r, o) = x.subtractingReportingOverflow(y); return try checkedInteger(o ? nil : r, kind: kind, what: "the subtraction", span: span)
            case .multiply: let (r, o) = x.multipliedReportingOverflow(by: y); return try checkedInteger(o ? nil : r, kind: kind, what: "the multiplication", span: span)
            case .divide, .remainder:
                guard y != 0 else { throw CompileError("division by zero in a constant expression", span) }
                let (r, o) = op == .divide ? x.dividedReportingOverflow(by: y) : x.remainderReportingOverflow(dividingBy: y)
                return try checkedInteger(o ? nil : r, kind: kind, what: "the division", span: span)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            case .less: return .bool(x < y)
            case .lessEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterEqual: return .bool(x >= y)
            case .and: return .int(x & y)
            case .or: return .int(x | y)
            case .xor: return .int(x ^ y)
            case .shiftLeft, .shiftRight:
                let width: Int64 = kind.isAbstract ? 64 : 32
                guard y >= 0 && y < width else {
                    throw CompileError("shift amount \(y) is not less than the bit width (\(width))", span)
                }
                if op == .shiftRight {
                    switch kind {
                    case .u32: return .int(Int64(UInt32(truncatingIfNeeded: x) >> UInt32(y)))
                    case .i32: return .int(Int64(Int32(truncatingIfNeeded: x) >> Int32(y)))
                    default: return .int(x >> y)
                    }
                }
                switch kind {
                case .u32: return .int(Int64(UInt32(truncatingIfNeeded: x) << UInt32(y)))
                case .i32: return .int(Int64(Int32(truncatingIfNeeded: x) << Int32(y)))
                default:
                    let r = x << y
                    guard r >> y == x else { throw CompileError("the shift overflows in a constant expression", span) }
                    return .int(r)
                }
            default: break
            }
        case (.float(let x), .float(let y)):
            let r: Double
            switch op {
            case .add: r = x + y
            case .subtract: r = x - y
            case .multiply: r = x * y
            case .divide:
                guard y != 0 else { throw CompileError("division by zero in a constant expression", span) }
                r = x / y
            case .remainder:
                guard y != 0 else { throw CompileError("division by zero in a constant expression", span) }
                r = x.truncatingRemainder(dividingBy: y)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            case .less: return .bool(x < y)
            case .lessEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterEqual: return .bool(x >= y)
            default: throw CompileError("cannot fold this operation on floats", span)
            }
            return .float(try roundFloat(r, kind: kind, span: span))
        default: break
        }
        throw CompileError("cannot fold the operation '\(op.rawValue)'", span)
    }

    private func roundFloat(_ value: Double, kind: ScalarKind, span: SourceSpan) throws -> Double {
        do {
            return try ScalarConversion.round(value, to: kind)
        } catch let failure as ConversionFailure {
            throw CompileError(failure.message, span)
        }
    }

    static func bitcastScalar(_ v: ConstantValue, from: ScalarKind, to: ScalarKind) -> ConstantValue {
        let bits: UInt32
        switch v {
        case .int(let x): bits = UInt32(truncatingIfNeeded: x)
        case .float(let x): bits = Float(x).bitPattern
        default: bits = 0
        }
        switch to {
        case .u32: return .int(Int64(bits))
        case .i32: return .int(Int64(Int32(bitPattern: bits)))
        default: return .float(Double(Float(bitPattern: bits)))
        }
    }

    private func evaluateBuiltin(_ f: BuiltinFunction, _ values: [ConstantValue], kind: ScalarKind, argumentTypes: [IRType], span: SourceSpan) throws -> ConstantValue? {
        func unaryFloat(_ g: @escaping (Double) -> Double) throws -> ConstantValue {
            try map(values[0]) { v in .float(try roundFloat(g(v.doubleValue ?? 0), kind: kind, span: span)) }
        }
        switch f {
        case .sqrt: return try unaryFloat { $0.squareRoot() }
        case .inverseSqrt: return try unaryFloat { 1 / $0.squareRoot() }
        case .exp: return try unaryFloat { Foundation.exp($0) }
        case .exp2: return try unaryFloat { Foundation.exp2($0) }
        case .log: return try unaryFloat { Foundation.log($0) }
        case .log2: return try unaryFloat { Foundation.log2($0) }
        case .sin: return try unaryFloat { Foundation.sin($0) }
        case .cos: return try unaryFloat { Foundation.cos($0) }
        case .tan: return try unaryFloat { Foundation.tan($0) }
        case .tanh: return try unaryFloat { Foundation.tanh($0) }
        case .floor: return try unaryFloat { $0.rounded(.down) }
        case .ceil: return try unaryFloat { $0.rounded(.up) }
        case .round: return try unaryFloat { $0.rounded(.toNearestOrEven) }
        case .trunc: return try unaryFloat { $0.rounded(.towardZero) }
        case .fract: return try unaryFloat { $0 - $0.rounded(.down) }
        case .degrees: return try unaryFloat { $0 * 180 / Double.pi }
        case .radians: return try unaryFloat { $0 * Double.pi / 180 }
        case .saturate: return try unaryFloat { Swift.min(Swift.max($0, 0), 1) }
        case .pow:
            return try zipBroadcast(values[0], values[1]) { a, b in .float(try roundFloat(Foundation.pow(a.doubleValue ?? 0, b.doubleValue ?? 0), kind: kind, span: span)) }
        case .abs:
            return try map(values[0]) { v in
                if case .int(let x) = v { return try checkedInteger(kind == .u32 ? x : Swift.abs(x), kind: kind, what: "abs", span: span) }
                return .float(Swift.abs(v.doubleValue ?? 0))
            }
        case .sign:
            return map(values[0]) { v in
                if case .int(let x) = v { return .int(x.signum()) }
                let d = v.doubleValue ?? 0
                return .float(d > 0 ? 1 : (d < 0 ? -1 : 0))
            }
        case .min, .max:
            return try zipBroadcast(values[0], values[1]) { a, b in
                if case .int(let x) = a, case .int(let y) = b { return .int(f == .min ? Swift.min(x, y) : Swift.max(x, y)) }
                let x = a.doubleValue ?? 0, y = b.doubleValue ?? 0
                return .float(f == .min ? Swift.min(x, y) : Swift.max(x, y))
            }
        case .clamp:
            let low = try zipBroadcast(values[0], values[1]) { a, b in
                if case .int(let x) = a, case .int(let y) = b { return .int(Swift.max(x, y)) }
                return .float(Swift.max(a.doubleValue ?? 0, b.doubleValue ?? 0))
            }
            return try zipBroadcast(low, values[2]) { a, b in
                if case .int(let x) = a, case .int(let y) = b { return .int(Swift.min(x, y)) }
                return .float(Swift.min(a.doubleValue ?? 0, b.doubleValue ?? 0))
            }
        case .select:
            if case .bool(let c) = values[2] { return c ? values[1] : values[0] }
            let conditions = values[2].components
            return .composite(conditions.indices.map { conditions[$0].boolValue == true ? values[1].components[$0] : values[0].components[$0] })
        case .all: return .bool(values[0].components.allSatisfy { $0.boolValue == true })
        case .any: return .bool(values[0].components.contains { $0.boolValue == true })
        case .dot:
            let pairs = zip(values[0].components, values[1].components)
            if kind.isInteger {
                let sum = pairs.reduce(Int64(0)) { $0 + ($1.0.intValue ?? 0) * ($1.1.intValue ?? 0) }
                return try checkedInteger(sum, kind: kind, what: "dot", span: span)
            }
            return .float(try roundFloat(pairs.reduce(0.0) { $0 + ($1.0.doubleValue ?? 0) * ($1.1.doubleValue ?? 0) }, kind: kind, span: span))
        case .countOneBits, .reverseBits, .firstLeadingBit, .firstTrailingBit, .countLeadingZeros, .countTrailingZeros:
            return map(values[0]) { v in
                let bits = UInt32(truncatingIfNeeded: v.intValue ?? 0)
                let r: UInt32
                switch f {
                case .countOneBits: r = UInt32(bits.nonzeroBitCount)
                case .reverseBits: r = Resolver.reverse(bits)
                case .countLeadingZeros: r = UInt32(bits.leadingZeroBitCount)
                case .countTrailingZeros: r = UInt32(bits.trailingZeroBitCount)
                case .firstTrailingBit: r = bits == 0 ? UInt32.max : UInt32(bits.trailingZeroBitCount)
                default:
                    let probe = (kind == .i32 && Int32(bitPattern: bits) < 0) ? ~bits : bits
                    r = probe == 0 ? UInt32.max : UInt32(31 - probe.leadingZeroBitCount)
                }
                return .int(kind == .u32 ? Int64(r) : Int64(Int32(bitPattern: r)))
            }
        default:
            return nil
        }
    }

    static func reverse(_ value: UInt32) -> UInt32 {
        var result: UInt32 = 0
        for bit in 0..<32 where value & (1 << UInt32(bit)) != 0 { result |= 1 << UInt32(31 - bit) }
        return result
    }
}
