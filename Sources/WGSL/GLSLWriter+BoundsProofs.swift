// Cheap proofs that an index is in bounds, so the common shapes of kernel code keep plain
// `a[i]` instead of `a[min(i, N - 1u)]`. Only patterns whose bound is the array's own length are
// recognised, with no arithmetic reasoning:
//
// - `local_invocation_index` into an array whose length is the workgroup's size, and
//   `local_invocation_id.x` (y, z) into one as long as that dimension (literals, or the same
//   override on both sides, so a host specialisation changes both);
// - the variable of `for (var i = ...; i < N; ...)` (u32, never written in the body) into an
//   array of length N (or a constant N no larger than the length);
// - a `let` bound to any of these.
//
// Runtime-sized arrays are never proven: their length is known only at dispatch.

extension GLSLWriter {
    /// Whether `index` is provably below the element count of `base`'s array type.
    func isProvablyInBounds(_ index: IRExpression, count: ArrayCount) -> Bool {
        guard let bound = upperBound(of: index) else { return false }
        return bound.fits(in: count, module: module)
    }

    /// An exclusive upper bound on the value of `index`, when one of the known shapes gives it.
    private func upperBound(of index: IRExpression) -> IndexBound? {
        switch index.kind {
        case .parameter(let p):
            guard let function = currentFunction, function.parameters[p].builtin == .localInvocationIndex else { return nil }
            let size = entryPoint.workgroupSize
            // The product of the dimensions is a single bound only when two of them are 1.
            let others = size.enumerated().filter { $0.element != .literal(1) }
            if others.isEmpty { return .literal(1) }
            guard others.count == 1 else { return nil }
            return IndexBound(others[0].element)
        case .swizzle(let base, let components):
            guard components.count == 1, case .parameter(let p) = base.kind, let function = currentFunction,
                  function.parameters[p].builtin == .localInvocationId else { return nil }
            return IndexBound(entryPoint.workgroupSize[components[0]])
        case .localVariable(let l):
            if let bound = loopBounds[l] { return bound }
            if let initializer = immutableLetValues[l] { return upperBound(of: initializer) }
            return nil
        default:
            return nil
        }
    }

    /// The bound a `for` loop's condition gives its variable inside the body, or nil.
    func loopVariableBound(initializer: IRStatement?, condition: IRExpression?, body: [IRStatement]) -> (Int, IndexBound)? {
        guard case .declare(let local, _)? = initializer, let function = currentFunction,
              function.locals[local].type == .u32,
              case .binary(.less, let lhs, let rhs)? = condition?.kind,
              case .localVariable(let l) = lhs.kind, l == local,
              !GLSLWriter.writes(local: local, in: body) else { return nil }
        switch rhs.kind {
        case .literal(.int(let n)): return (local, .literal(Int(n)))
        case .override(let k): return (local, .override(k))
        case .constant(let k):
            guard case .int(let n) = module.constants[k].value else { return nil }
            return (local, .literal(Int(n)))
        default: return nil
        }
    }

    /// Whether any statement may change local `local` (assignment, `++`, or passing `&local`).
    static func writes(local: Int, in statements: [IRStatement]) -> Bool {
        func rooted(_ e: IRExpression) -> Bool {
            switch e.kind {
            case .localVariable(let l): return l == local
            case .access(let base, _), .member(let base, _), .swizzle(let base, _): return rooted(base)
            default: return false
            }
        }
        func takesAddress(_ e: IRExpression) -> Bool {
            if case .addressOf(let target) = e.kind, rooted(target) { return true }
            return Resolver.operands(of: e).contains { $0 != e && takesAddress($0) }
                || { if case .call(_, let args) = e.kind { return args.contains(where: takesAddress) }; return false }()
        }
        return statements.contains { statement in
            switch statement {
            case .assign(let target, let value), .compoundAssign(_, let target, let value):
                return rooted(target) || takesAddress(value)
            case .declare(_, let value?): return takesAddress(value)
            case .evaluate(let e): return takesAddress(e)
            case .callFunction(_, let args), .callBuiltin(_, let args): return args.contains(where: takesAddress)
            case .ifElse(_, let a, let b): return writes(local: local, in: a) || writes(local: local, in: b)
            case .switchStatement(_, let cases): return cases.contains { writes(local: local, in: $0.body) }
            case .loop(let body, let continuing, _): return writes(local: local, in: body) || writes(local: local, in: continuing)
            case .forLoop(let i, _, let u, let body):
                return writes(local: local, in: [i, u].compactMap { $0 } + body)
            case .whileLoop(_, let body), .block(let body): return writes(local: local, in: body)
            default: return false
            }
        }
    }
}

/// An exclusive upper bound: a number, or the value of an override.
enum IndexBound: Equatable {
    case literal(Int)
    case override(Int)

    init(_ dimension: WorkgroupDimension) {
        switch dimension {
        case .literal(let n): self = .literal(n)
        case .override(let k): self = .override(k)
        }
    }

    func fits(in count: ArrayCount, module: IRModule) -> Bool {
        switch (self, count) {
        case (.literal(let n), .constant(let length)): return n <= length
        case (.override(let k), .overrideExpression(let e)):
            if case .override(let j) = e.kind { return j == k }
            return false
        default: return false
        }
    }
}
