// # The typed IR
//
// The resolver produces this from the AST; the validator checks it; the GLSL writer prints it.
// It is deliberately close to GLSL's own shape (a tree, not naga's arena of handles), because our
// only back end is GLSL ES 3.10 and a tree prints as readable code with no naming of temporaries.
//
// ## Module
// An `IRModule` holds everything a shader declares, each kind in its own list, referred to by
// index: `structs`, `constants` (module-scope `const`, already folded to values), `overrides`
// (pipeline constants: a type and an optional default, set by the host when it builds a program),
// `globals` (module-scope `var`s in the private, workgroup, uniform and storage address spaces,
// with their bindings), `functions`, and exactly one compute `entryPoint`. Lists are in source
// order; the writer orders declarations so every name is declared before it is used.
//
// ## Types
// `IRType` (Types.swift) covers scalars, vectors, matrices, arrays (constant, override-sized or
// runtime-sized), structs, atomics and pointers. After resolution no type is abstract: every
// unsuffixed literal has been folded and converted to i32, u32, f32 or f16 as its context wanted.
//
// ## Functions
// A function has parameters, an optional return type, a list of `locals` (every `var` and `let`
// it declares, in declaration order, each with a unique index) and a body: a list of statements.
// The entry point's builtin parameters (`global_invocation_id`, ...) are ordinary parameters
// whose `builtin` field says which GLSL input they read.
//
// ## Expressions
// An `IRExpression` is a tree node with a concrete type and the span of the WGSL text it came
// from. Expressions are evaluated when the statement containing them runs, operands left to right
// (as in both WGSL and GLSL), exactly once each: the writer never duplicates an operand that could
// have side effects; where WGSL semantics need a value twice (integer division by zero, `%` on
// negatives, clamped bit ranges) it calls a small helper function instead.
//
// WGSL distinguishes references from values; the IR does not need to: an expression rooted at a
// variable (`localVariable`, `globalVariable`, or a `deref` of a pointer) through `access`,
// `member` and single-component `swizzle` nodes names a memory location, and is read when used as
// a value and written when it is an assignment's target. Pointers appear only as function
// arguments (`addressOf`, printed as a GLSL `inout` argument) and as `let` aliases, which the
// writer substitutes by the location they point to.
//
// Constant expressions are folded by the resolver (ConstantEvaluator.swift) to `literal` nodes;
// references to module-scope constants stay `constant` nodes so the GLSL keeps their names.
// Override expressions stay symbolic (`override` nodes) because their values arrive at load.
//
// ## Statements
// Statements mirror WGSL's, with `for`, `while` and `loop`/`continuing`/`break if` kept apart so
// the GLSL reads like the source. `let` and `var` both become `declare` of a local; a `var`
// without an initializer is zero-initialised, as WGSL requires.

struct IRModule {
    var structs: [IRStruct] = []
    var constants: [IRConstant] = []
    var overrides: [IROverride] = []
    var globals: [IRGlobal] = []
    var functions: [IRFunction] = []
    var entryPoint: IREntryPoint?
    /// `enable` directives that were present (f16, subgroups).
    var enabledExtensions: Set<String> = []
}

struct IRStruct {
    var name: String
    var members: [IRStructMember]
    var span: SourceSpan
}

struct IRStructMember {
    var name: String
    var type: IRType
    /// Explicit `@align(n)` / `@size(n)`; the layout honours them only when they change nothing.
    var alignAttribute: Int?
    var sizeAttribute: Int?
    var span: SourceSpan
}

struct IRConstant {
    var name: String
    var type: IRType
    var value: ConstantValue
    var span: SourceSpan
}

struct IROverride {
    var name: String
    var type: IRType
    var id: Int?
    /// A default that folded to a constant.
    var defaultValue: ConstantValue?
    /// A default that depends on other overrides (`override b = a * 2u;`).
    var defaultExpression: IRExpression?
    var span: SourceSpan
}

struct IRBinding: Hashable {
    var group: Int
    var binding: Int
}

struct IRGlobal {
    var name: String
    var space: AddressSpace
    var access: AccessMode
    var type: IRType
    var binding: IRBinding?
    var initializer: IRExpression?
    var span: SourceSpan
}

struct IRParameter {
    var name: String
    var type: IRType
    /// For entry-point parameters: the compute builtin they receive.
    var builtin: ComputeBuiltin?
    var span: SourceSpan
}

/// The compute-stage builtin inputs, with the GLSL variable each one reads.
enum ComputeBuiltin: String, CaseIterable {
    case globalInvocationId = "global_invocation_id"
    case localInvocationId = "local_invocation_id"
    case localInvocationIndex = "local_invocation_index"
    case workgroupId = "workgroup_id"
    case numWorkgroups = "num_workgroups"
    case subgroupInvocationId = "subgroup_invocation_id"
    case subgroupSize = "subgroup_size"

    var type: IRType {
        switch self {
        case .localInvocationIndex, .subgroupInvocationId, .subgroupSize: return .u32
        default: return .vector(3, .u32)
        }
    }

    var glslName: String {
        switch self {
        case .globalInvocationId: return "gl_GlobalInvocationID"
        case .localInvocationId: return "gl_LocalInvocationID"
        case .localInvocationIndex: return "gl_LocalInvocationIndex"
        case .workgroupId: return "gl_WorkGroupID"
        case .numWorkgroups: return "gl_NumWorkGroups"
        case .subgroupInvocationId: return "gl_SubgroupInvocationID"
        case .subgroupSize: return "gl_SubgroupSize"
        }
    }
}

struct IRLocal {
    var name: String
    var type: IRType
    var isMutable: Bool
    var span: SourceSpan
}

struct IRFunction {
    var name: String
    var parameters: [IRParameter]
    var returnType: IRType?
    var locals: [IRLocal]
    var body: [IRStatement]
    var span: SourceSpan
    /// Indices of the user functions this one calls, for declaration order.
    var callees: Set<Int>
}

/// One dimension of `@workgroup_size`: a number, or an override (possibly with a default).
enum WorkgroupDimension: Hashable {
    case literal(Int)
    case override(Int)
}

struct IREntryPoint {
    var function: Int
    var workgroupSize: [WorkgroupDimension]
    var span: SourceSpan
}

enum UnaryOperator: String, Hashable {
    case negate = "-", logicalNot = "!", bitwiseNot = "~"
}

enum BinaryOperator: String, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "&", or = "|", xor = "^", logicalAnd = "&&", logicalOr = "||"
    case shiftLeft = "<<", shiftRight = ">>"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return true
        default: return false
        }
    }
}

struct IRExpression: Hashable {
    var kind: IRExpressionKind
    var type: IRType
    var span: SourceSpan
}

indirect enum IRExpressionKind: Hashable {
    case literal(ConstantValue)
    case constant(Int)
    case override(Int)
    case globalVariable(Int)
    case localVariable(Int)
    case parameter(Int)
    /// Indexing an array, vector or matrix. The writer applies the bounds policy.
    case access(base: IRExpression, index: IRExpression)
    case member(base: IRExpression, index: Int)
    case swizzle(base: IRExpression, components: [Int])
    case unary(UnaryOperator, IRExpression)
    case binary(BinaryOperator, IRExpression, IRExpression)
    case call(function: Int, arguments: [IRExpression])
    case builtin(BuiltinFunction, [IRExpression])
    /// Construction of the expression's type from components (all of them, or one to splat).
    /// No arguments: the zero value.
    case construct([IRExpression])
    /// Value conversion (`f32(x)`) to the expression's type.
    case convert(IRExpression)
    case bitcast(IRExpression)
    case addressOf(IRExpression)
    case deref(IRExpression)
}

struct IRSwitchCase {
    var selectors: [ConstantValue]
    var isDefault: Bool
    var body: [IRStatement]
}

indirect enum IRStatement {
    case declare(local: Int, initializer: IRExpression?)
    case assign(target: IRExpression, value: IRExpression)
    /// `target op= value`; the writer expands it where WGSL and GLSL semantics differ.
    case compoundAssign(op: BinaryOperator, target: IRExpression, value: IRExpression)
    /// An expression evaluated for its effect, its value dropped (`_ = f(x);`, `f(x);`).
    case evaluate(IRExpression)
    /// A call to a user function that returns nothing.
    case callFunction(Int, arguments: [IRExpression])
    /// A builtin that returns nothing: barriers, atomicStore.
    case callBuiltin(BuiltinFunction, arguments: [IRExpression])
    case ifElse(condition: IRExpression, then: [IRStatement], otherwise: [IRStatement])
    case switchStatement(selector: IRExpression, cases: [IRSwitchCase])
    case loop(body: [IRStatement], continuing: [IRStatement], breakIf: IRExpression?)
    case forLoop(initializer: IRStatement?, condition: IRExpression?, update: IRStatement?, body: [IRStatement])
    case whileLoop(condition: IRExpression, body: [IRStatement])
    case breakStatement
    case continueStatement
    case returnStatement(IRExpression?)
    case block([IRStatement])
}
