// The syntax tree, as written: names are unresolved strings, types are unchecked expressions and
// every node keeps its span. The resolver turns this into the typed IR (IR.swift); nothing after
// the resolver looks at the AST.

/// Limits on how deep source may nest. Every stage walks the tree recursively, so these bound
/// the stack they use; WGSL itself requires at least 127 levels of nested braces.
enum Nesting {
    /// Nested blocks in a function (braces, and each `else if` of a chain).
    static let maxBlockDepth = 127
    /// Levels of an expression tree: parentheses, operands of operators, indexing, calls.
    static let maxExpressionDepth = 255
    /// Module-scope declarations resolved inside one another (a function whose body calls
    /// another function whose body uses a constant ...), each resolved on first use.
    static let maxDeclarationDepth = 64
    /// Expressions, statements and declarations the resolver has open at once: it follows
    /// calls into callees on first use, so its depth adds up across declarations.
    static let maxResolverDepth = 512
    /// Modules loaded inside one another through their imports (the linker recurses along them).
    static let maxImportDepth = 32
}

enum AST {
    struct Module {
        var enables: [(name: String, span: SourceSpan)] = []
        var declarations: [Declaration] = []
    }

    struct Attribute {
        var name: String
        var arguments: [Expression]
        var span: SourceSpan
    }

    enum Declaration {
        case structure(StructDecl)
        case variable(VariableDecl)
        case constant(ValueDecl)
        case override(ValueDecl)
        case function(FunctionDecl)
        case alias(name: String, type: Expression, span: SourceSpan)
        case constAssert(Expression, span: SourceSpan)
    }

    struct StructDecl {
        var name: String
        var members: [StructMember]
        var span: SourceSpan
    }

    struct StructMember {
        var name: String
        var type: Expression
        var attributes: [Attribute]
        var span: SourceSpan
    }

    /// `var<space, access> name: type = init;` at module or function scope.
    struct VariableDecl {
        var name: String
        var addressSpace: String?
        var accessMode: String?
        var type: Expression?
        var initializer: Expression?
        var attributes: [Attribute]
        var span: SourceSpan
        var nameSpan: SourceSpan
    }

    /// `const`, `let` and `override` declarations share a shape.
    struct ValueDecl {
        var name: String
        var type: Expression?
        var initializer: Expression?
        var attributes: [Attribute]
        var span: SourceSpan
        var nameSpan: SourceSpan
    }

    struct Parameter {
        var name: String
        var type: Expression
        var attributes: [Attribute]
        var span: SourceSpan
    }

    struct FunctionDecl {
        var name: String
        var parameters: [Parameter]
        var returnType: Expression?
        var returnAttributes: [Attribute]
        var attributes: [Attribute]
        var body: Block
        var span: SourceSpan
        var nameSpan: SourceSpan
    }

    struct Block {
        var statements: [Statement]
        var span: SourceSpan
    }

    indirect enum Statement {
        case block(Block)
        case variable(VariableDecl)
        case constant(ValueDecl)
        case letBinding(ValueDecl)
        /// `lhs = rhs` (op nil) or a compound `lhs op= rhs`.
        case assignment(lhs: Expression, op: String?, rhs: Expression, span: SourceSpan)
        /// `_ = expr;`
        case phonyAssignment(Expression, span: SourceSpan)
        case increment(Expression, span: SourceSpan)
        case decrement(Expression, span: SourceSpan)
        case call(Expression, span: SourceSpan)
        case ifElse(condition: Expression, then: Block, otherwise: Statement?, span: SourceSpan)
        case switchStatement(selector: Expression, clauses: [SwitchClause], span: SourceSpan)
        case loop(body: Block, continuing: Continuing?, span: SourceSpan)
        case forLoop(initializer: Statement?, condition: Expression?, update: Statement?, body: Block, span: SourceSpan)
        case whileLoop(condition: Expression, body: Block, span: SourceSpan)
        case breakStatement(span: SourceSpan)
        case continueStatement(span: SourceSpan)
        case returnStatement(Expression?, span: SourceSpan)
        case discard(span: SourceSpan)
        case constAssert(Expression, span: SourceSpan)
    }

    /// Where a statement stands in the source.
    static func span(of statement: Statement) -> SourceSpan {
        switch statement {
        case .block(let b): return b.span
        case .variable(let d): return d.span
        case .constant(let d), .letBinding(let d): return d.span
        case .assignment(_, _, _, let span), .phonyAssignment(_, let span), .increment(_, let span),
             .decrement(_, let span), .call(_, let span), .ifElse(_, _, _, let span),
             .switchStatement(_, _, let span), .loop(_, _, let span), .forLoop(_, _, _, _, let span),
             .whileLoop(_, _, let span), .breakStatement(let span), .continueStatement(let span),
             .returnStatement(_, let span), .discard(let span), .constAssert(_, let span):
            return span
        }
    }

    struct Continuing {
        var body: Block
        var breakIf: Expression?
        var span: SourceSpan
    }

    struct SwitchClause {
        /// Case selectors; `nil` stands for `default`.
        var selectors: [Expression?]
        var body: Block
        var span: SourceSpan
    }

    indirect enum ExpressionKind {
        /// A name, possibly with a template list: `x`, `f32`, `array<f32, 4>`, `vec3<u32>`.
        case identifier(String, templateArguments: [Expression]?)
        case boolLiteral(Bool)
        case intLiteral(UInt64, suffix: String)
        case floatLiteral(Double, suffix: String)
        /// `callee(args)`; the callee is an identifier (function, type constructor or builtin).
        case call(callee: Expression, arguments: [Expression])
        case unary(op: String, operand: Expression)
        case binary(op: String, lhs: Expression, rhs: Expression)
        case index(base: Expression, index: Expression)
        case member(base: Expression, name: String, nameSpan: SourceSpan)
        /// Kept as a node because `(a + b) & c` is valid where `a + b & c` is not.
        case parenthesized(Expression)
    }

    struct Expression {
        var kind: ExpressionKind
        var span: SourceSpan
        /// Levels of nodes from this one down to its deepest leaf (a leaf is 1). Kept so the
        /// parser can refuse trees deep enough to overflow the recursive stages after it.
        let depth: Int

        init(kind: ExpressionKind, span: SourceSpan) {
            self.kind = kind
            self.span = span
            let children: [Expression]
            switch kind {
            case .identifier(_, let arguments): children = arguments ?? []
            case .boolLiteral, .intLiteral, .floatLiteral: children = []
            case .call(let callee, let arguments): children = [callee] + arguments
            case .unary(_, let operand): children = [operand]
            case .binary(_, let lhs, let rhs): children = [lhs, rhs]
            case .index(let base, let index): children = [base, index]
            case .member(let base, _, _): children = [base]
            case .parenthesized(let inner): children = [inner]
            }
            self.depth = 1 + (children.map(\.depth).max() ?? 0)
        }
    }
}
