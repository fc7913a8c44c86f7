// The types of the typed IR. Abstract numeric types (the types of unsuffixed literals) exist only
// during resolution: every abstract value is folded to a constant and converted to a concrete type
// before the IR is handed to the validator.

enum ScalarKind: Hashable {
    case bool, i32, u32, f32, f16, abstractInt, abstractFloat

    var isInteger: Bool { self == .i32 || self == .u32 || self == .abstractInt }
    var isFloat: Bool { self == .f32 || self == .f16 || self == .abstractFloat }
    var isNumeric: Bool { self != .bool }
    var isAbstract: Bool { self == .abstractInt || self == .abstractFloat }
    var isSigned: Bool { self == .i32 || self == .abstractInt || isFloat }

    /// The concrete type an abstract value becomes when nothing else decides: i32 or f32.
    var concretized: ScalarKind {
        switch self {
        case .abstractInt: return .i32
        case .abstractFloat: return .f32
        default: return self
        }
    }

    var byteSize: Int { self == .f16 ? 2 : 4 }

    var wgslName: String {
        switch self {
        case .bool: return "bool"
        case .i32: return "i32"
        case .u32: return "u32"
        case .f32: return "f32"
        case .f16: return "f16"
        case .abstractInt: return "abstract-int"
        case .abstractFloat: return "abstract-float"
        }
    }

    /// Whether a value of abstract kind `self` may be converted automatically to `target`.
    func convertsAutomatically(to target: ScalarKind) -> Bool {
        if self == target { return true }
        switch self {
        case .abstractInt: return target != .bool
        case .abstractFloat: return target.isFloat
        default: return false
        }
    }
}

enum AddressSpace: String, Hashable {
    case function, `private`, workgroup, uniform, storage
}

enum AccessMode: String, Hashable {
    case read, write, readWrite = "read_write"
}

/// The element count of an array type.
indirect enum ArrayCount: Hashable {
    case constant(Int)
    /// Sized by an override expression (workgroup arrays only); written out as GLSL text.
    case overrideExpression(IRExpression)
    case runtime
}

indirect enum IRType: Hashable {
    case scalar(ScalarKind)
    case vector(Int, ScalarKind)
    case matrix(columns: Int, rows: Int, ScalarKind)
    case array(IRType, ArrayCount)
    /// Index into `IRModule.structs`.
    case structure(Int)
    case atomic(ScalarKind)
    case pointer(AddressSpace, IRType, AccessMode)

    static let bool = IRType.scalar(.bool)
    static let i32 = IRType.scalar(.i32)
    static let u32 = IRType.scalar(.u32)
    static let f32 = IRType.scalar(.f32)

    /// The scalar at the leaves of a scalar, vector or matrix (and atomics).
    var scalarKind: ScalarKind? {
        switch self {
        case .scalar(let s), .vector(_, let s), .matrix(_, _, let s), .atomic(let s): return s
        default: return nil
        }
    }

    var isScalar: Bool { if case .scalar = self { return true } else { return false } }
    var isVector: Bool { if case .vector = self { return true } else { return false } }

    var vectorSize: Int? {
        if case .vector(let n, _) = self { return n }
        return nil
    }

    /// Scalars and vectors: the types most builtins accept.
    var isNumericScalarOrVector: Bool {
        switch self {
        case .scalar(let s), .vector(_, let s): return s.isNumeric
        default: return false
        }
    }

    /// Whether the type contains an abstract scalar anywhere.
    var isAbstract: Bool {
        switch self {
        case .scalar(let s), .vector(_, let s), .matrix(_, _, let s): return s.isAbstract
        case .array(let element, _): return element.isAbstract
        default: return false
        }
    }

    /// The same shape with its leaf scalar replaced (scalars, vectors, matrices, arrays of those).
    func withScalar(_ kind: ScalarKind) -> IRType {
        switch self {
        case .scalar: return .scalar(kind)
        case .vector(let n, _): return .vector(n, kind)
        case .matrix(let c, let r, _): return .matrix(columns: c, rows: r, kind)
        case .array(let element, let count): return .array(element.withScalar(kind), count)
        default: return self
        }
    }

    /// Abstract leaves made concrete (i32 / f32); concrete types unchanged.
    var concretized: IRType {
        switch self {
        case .scalar(let s): return .scalar(s.concretized)
        case .vector(let n, let s): return .vector(n, s.concretized)
        case .matrix(let c, let r, let s): return .matrix(columns: c, rows: r, s.concretized)
        case .array(let element, let count): return .array(element.concretized, count)
        default: return self
        }
    }

    /// The innermost non-array scalar kind of an array nest, for abstract conversion.
    var leafScalar: ScalarKind? {
        if case .array(let element, _) = self { return element.leafScalar }
        return scalarKind
    }

    /// The type seen through a pointer.
    var pointee: IRType? {
        if case .pointer(_, let t, _) = self { return t }
        return nil
    }

    /// A type with a size known when the shader is written (no runtime arrays inside).
    func isConstructible(in module: IRModule) -> Bool {
        switch self {
        case .scalar, .vector, .matrix: return true
        case .array(let element, let count):
            if case .constant = count { return element.isConstructible(in: module) }
            return false
        case .structure(let index): return module.structs[index].members.allSatisfy { $0.type.isConstructible(in: module) }
        case .atomic, .pointer: return false
        }
    }
}

extension IRModule {
    /// How a type is spelled in WGSL, for messages.
    func describe(_ type: IRType) -> String {
        switch type {
        case .scalar(let s): return s.wgslName
        case .vector(let n, let s): return "vec\(n)<\(s.wgslName)>"
        case .matrix(let c, let r, let s): return "mat\(c)x\(r)<\(s.wgslName)>"
        case .array(let element, let count):
            switch count {
            case .constant(let n): return "array<\(describe(element)), \(n)>"
            case .overrideExpression: return "array<\(describe(element)), override-sized>"
            case .runtime: return "array<\(describe(element))>"
            }
        case .structure(let index): return structs[index].name
        case .atomic(let s): return "atomic<\(s.wgslName)>"
        case .pointer(let space, let t, let access): return "ptr<\(space.rawValue), \(describe(t)), \(access.rawValue)>"
        }
    }
}
