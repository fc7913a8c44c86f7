// Helper functions that give GLSL WGSL's meaning where the two languages differ. Each is written
// into the shader only when used, once per GLSL type (GLSL overloads by argument type), so a
// kernel that divides only by constants gets plain `/`.

struct Polyfill: Hashable {
    enum Kind: String, Hashable {
        case intDivide = "wgsl_div"
        case intRemainder = "wgsl_rem"
        case floatRemainder = "wgsl_frem"
        case extractBits = "wgsl_extract_bits"
        case insertBits = "wgsl_insert_bits"
        case integerDot = "wgsl_dot"
        case quantizeToF16 = "wgsl_quantize_f16"
        case pack4xI8 = "wgsl_pack4xI8"
        case pack4xU8 = "wgsl_pack4xU8"
        case pack4xI8Clamp = "wgsl_pack4xI8Clamp"
        case pack4xU8Clamp = "wgsl_pack4xU8Clamp"
        case unpack4xI8 = "wgsl_unpack4xI8"
        case unpack4xU8 = "wgsl_unpack4xU8"
        case dot4U8Packed = "wgsl_dot4U8Packed"
        case dot4I8Packed = "wgsl_dot4I8Packed"
    }

    let kind: Kind
    /// The GLSL type the overload is for (`int`, `uvec3`, ...).
    let type: IRType

    var name: String { kind.rawValue }

    static var reservedNames: Set<String> {
        Set([Kind.intDivide, .intRemainder, .floatRemainder, .extractBits, .insertBits, .integerDot, .quantizeToF16,
             .pack4xI8, .pack4xU8, .pack4xI8Clamp, .pack4xU8Clamp, .unpack4xI8, .unpack4xU8, .dot4U8Packed, .dot4I8Packed].map(\.rawValue))
    }

    private var typeName: String {
        switch type {
        case .scalar(let s): return GLSLWriter.scalarName(s)
        case .vector(let n, let s): return GLSLWriter.vectorPrefix(s) + "vec\(n)"
        default: return "float"
        }
    }

    private var scalar: ScalarKind { type.scalarKind ?? .f32 }

    private var boolTypeName: String {
        if case .vector(let n, _) = type { return "bvec\(n)" }
        return "bool"
    }

    /// `v` as a value of the overload's type (a splat for vectors).
    private func splat(_ scalarText: String) -> String {
        type.isVector ? "\(typeName)(\(scalarText))" : scalarText
    }

    /// Component-wise `a == b` as a bool or bvec.
    private func equal(_ a: String, _ b: String) -> String {
        type.isVector ? "equal(\(a), \(b))" : "(\(a) == \(b))"
    }

    /// Component-wise `a || b` for bool or bvec operands.
    private func or(_ a: String, _ b: String) -> String {
        type.isVector ? "\(boolTypeName)(uvec\(type.vectorSize!)(\(a)) | uvec\(type.vectorSize!)(\(b)))" : "(\(a) || \(b))"
    }

    private func and(_ a: String, _ b: String) -> String {
        type.isVector ? "\(boolTypeName)(uvec\(type.vectorSize!)(\(a)) & uvec\(type.vectorSize!)(\(b)))" : "(\(a) && \(b))"
    }

    /// `condition ? whenTrue : whenFalse`, component-wise for vectors.
    private func choose(_ condition: String, _ whenTrue: String, _ whenFalse: String) -> String {
        type.isVector ? "mix(\(whenFalse), \(whenTrue), \(condition))" : "(\(condition) ? \(whenTrue) : \(whenFalse))"
    }

    /// The divisor WGSL semantics demand: 1 where the divisor is zero (x / 0 == x, x % 0 == 0)
    /// or where i32's most negative value is divided by -1 (the result is the dividend).
    private var safeDivisor: String {
        let one = splat(scalar == .u32 ? "1u" : "1")
        if scalar == .u32 {
            return choose(equal("b", splat("0u")), one, "b")
        }
        let overflow = and(equal("a", splat("(-2147483647 - 1)")), equal("b", splat("-1")))
        return choose(or(equal("b", splat("0")), overflow), one, "b")
    }

    var definition: String {
        let t = typeName
        switch kind {
        case .intDivide:
            return """
            // WGSL integer division: x / 0 == x, and i32's minimum / -1 == the minimum.
            \(t) \(name)(\(t) a, \(t) b) {
                return a / \(safeDivisor);
            }

            """
        case .intRemainder:
            return """
            // WGSL integer remainder: truncated (the sign follows the dividend), x % 0 == 0.
            \(t) \(name)(\(t) a, \(t) b) {
                \(t) d = \(safeDivisor);
                return a - (a / d) * d;
            }

            """
        case .floatRemainder:
            return """
            // WGSL float remainder truncates (GLSL's mod() floors).
            \(t) \(name)(\(t) a, \(t) b) {
                return a - b * trunc(a / b);
            }

            """
        case .extractBits:
            let zero = splat(scalar == .u32 ? "0u" : "0")
            return """
            // WGSL extractBits: offset and count clamped to the bit width; a zero count gives 0.
            \(t) \(name)(\(t) e, uint offset, uint count) {
                uint o = min(offset, 32u);
                uint c = min(count, 32u - o);
                return c == 0u ? \(zero) : bitfieldExtract(e, int(o), int(c));
            }

            """
        case .insertBits:
            return """
            // WGSL insertBits: offset and count clamped to the bit width; a zero count returns e.
            \(t) \(name)(\(t) e, \(t) newbits, uint offset, uint count) {
                uint o = min(offset, 32u);
                uint c = min(count, 32u - o);
                return c == 0u ? e : bitfieldInsert(e, newbits, int(o), int(c));
            }

            """
        case .integerDot:
            let n = type.vectorSize ?? 1
            let scalarName = GLSLWriter.scalarName(scalar)
            let terms = (0..<n).map { "a[\($0)] * b[\($0)]" }.joined(separator: " + ")
            return """
            // GLSL's dot() is for floats only.
            \(scalarName) \(name)(\(t) a, \(t) b) {
                return \(terms);
            }

            """
        case .quantizeToF16:
            if case .vector(let n, _) = type {
                let parts = (0..<n).map { "\(name)(v[\($0)])" }.joined(separator: ", ")
                return """
                \(t) \(name)(\(t) v) {
                    return \(t)(\(parts));
                }

                """
            }
            return """
            // Rounds through half precision, as WGSL's quantizeToF16.
            float \(name)(float v) {
                return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x;
            }

            """
        case .pack4xI8:
            return """
            uint \(name)(ivec4 v) {
                uvec4 b = uvec4(v) & uvec4(0xFFu);
                return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
            }

            """
        case .pack4xU8:
            return """
            uint \(name)(uvec4 v) {
                uvec4 b = v & uvec4(0xFFu);
                return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
            }

            """
        case .pack4xI8Clamp:
            return """
            uint \(name)(ivec4 v) {
                uvec4 b = uvec4(clamp(v, ivec4(-128), ivec4(127))) & uvec4(0xFFu);
                return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
            }

            """
        case .pack4xU8Clamp:
            return """
            uint \(name)(uvec4 v) {
                uvec4 b = min(v, uvec4(255u));
                return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
            }

            """
        case .unpack4xI8:
            return """
            // Each byte sign-extended.
            ivec4 \(name)(uint v) {
                return ivec4(int(v) << 24, int(v) << 16, int(v) << 8, int(v)) >> 24;
            }

            """
        case .unpack4xU8:
            return """
            uvec4 \(name)(uint v) {
                return (uvec4(v) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
            }

            """
        case .dot4U8Packed:
            return """
            uint \(name)(uint a, uint b) {
                uvec4 x = (uvec4(a) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
                uvec4 y = (uvec4(b) >> uvec4(0u, 8u, 16u, 24u)) & uvec4(0xFFu);
                return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
            }

            """
        case .dot4I8Packed:
            return """
            int \(name)(uint a, uint b) {
                ivec4 x = ivec4(int(a) << 24, int(a) << 16, int(a) << 8, int(a)) >> 24;
                ivec4 y = ivec4(int(b) << 24, int(b) << 16, int(b) << 8, int(b)) >> 24;
                return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
            }

            """
        }
    }
}

extension GLSLWriter {
    /// Marks a helper as used and returns its name.
    func use(_ kind: Polyfill.Kind, for type: IRType) -> String {
        let polyfill = Polyfill(kind: kind, type: type)
        if !polyfills.contains(polyfill) { polyfills.append(polyfill) }
        return polyfill.name
    }
}
