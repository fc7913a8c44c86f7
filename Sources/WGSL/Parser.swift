// Recursive descent over the token list, following the WGSL grammar's precedence levels, which are
// stricter than C's: shifts, bitwise operators and relational operators do not chain or mix
// without parentheses (`a + b & c` is an error), so valid WGSL for us is valid WebGPU too.
// `ident<...>` is a template list only after the predeclared generic names (vec3, array, ptr...);
// user declarations cannot be generic, so this rule needs no lookahead.
// Nesting is bounded (see `Nesting`): the parser, the resolver and the writer all recurse along
// the source's nesting, so unbounded input would overflow the stack instead of failing cleanly.

struct Parser {
    private var tokens: [Token]
    private var index = 0
    /// True while parsing a template argument list, where a bare `>` closes the list instead of
    /// comparing. Parentheses reset it.
    private var inTemplateList = false
    /// Blocks (and `else if` links) open around the current token.
    private var blockDepth = 0
    /// Parenthesised expressions, index brackets, argument and template lists and prefix
    /// operators open around the current token.
    private var expressionDepth = 0

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    static func parse(_ bytes: [UInt8]) throws -> AST.Module {
        var parser = Parser(tokens: try Lexer.tokenize(bytes))
        return try parser.module()
    }

    static let templatedNames: Set<String> = [
        "vec2", "vec3", "vec4", "mat2x2", "mat2x3", "mat2x4", "mat3x2", "mat3x3", "mat3x4",
        "mat4x2", "mat4x3", "mat4x4", "array", "ptr", "atomic", "bitcast",
    ]

    // MARK: - Token helpers

    private var current: Token { tokens[index] }

    private func peekSymbol(_ offset: Int = 0) -> String? {
        let i = min(index + offset, tokens.count - 1)
        return tokens[i].symbol
    }

    private func isSymbol(_ s: String) -> Bool { current.symbol == s }

    private func isKeyword(_ word: String) -> Bool { current.identifier == word }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    @discardableResult
    private mutating func expectSymbol(_ s: String, _ context: String) throws -> Token {
        if isSymbol(s) { return advance() }
        // `>>`, `>=` and `>>=` can close a template list: split off one '>'.
        if s == ">", let sym = current.symbol, sym.hasPrefix(">"), sym.count > 1 {
            let token = current
            let rest = String(sym.dropFirst())
            tokens[index] = Token(kind: .symbol(rest), span: SourceSpan(start: token.span.start + 1, end: token.span.end))
            return Token(kind: .symbol(">"), span: SourceSpan(start: token.span.start, end: token.span.start + 1))
        }
        if s == ";" && index > 0 {
            // A missing semicolon belongs at the end of what came before, not at the next line.
            let previousEnd = tokens[index - 1].span.end
            throw CompileError("expected ';' \(context)", SourceSpan(start: previousEnd, end: previousEnd + 1))
        }
        throw CompileError("expected '\(s)' \(context), found \(current.quoted)", current.span)
    }

    private mutating func expectKeyword(_ word: String) throws -> Token {
        if isKeyword(word) { return advance() }
        throw CompileError("expected '\(word)', found \(current.quoted)", current.span)
    }

    private mutating func expectIdentifier(_ what: String) throws -> (String, SourceSpan) {
        guard let name = current.identifier else {
            throw CompileError("expected \(what), found \(current.quoted)", current.span)
        }
        if wgslKeywords.contains(name) {
            throw CompileError("'\(name)' is a WGSL keyword and cannot be used as \(what)", current.span)
        }
        let token = advance()
        return (name, token.span)
    }

    private mutating func consumeSymbol(_ s: String) -> Bool {
        if isSymbol(s) { _ = advance(); return true }
        return false
    }

    static let tooDeepBlocks = "blocks nested more than \(Nesting.maxBlockDepth) deep: move the inner part into a function"
    static let tooDeepExpression = "expression nested more than \(Nesting.maxExpressionDepth) levels deep (parentheses, operators, indexing, calls, template lists): split it, e.g. with 'let'"

    /// Runs `body` one block level deeper, refusing input nested past `Nesting.maxBlockDepth`.
    private mutating func nestedBlock<T>(_ body: (inout Parser) throws -> T) throws -> T {
        try nested(\.blockDepth, limit: Nesting.maxBlockDepth, Parser.tooDeepBlocks, body)
    }

    /// Runs `body` one expression level deeper, refusing input nested past
    /// `Nesting.maxExpressionDepth`.
    private mutating func nestedExpression<T>(_ body: (inout Parser) throws -> T) throws -> T {
        try nested(\.expressionDepth, limit: Nesting.maxExpressionDepth, Parser.tooDeepExpression, body)
    }

    private mutating func nested<T>(_ depth: WritableKeyPath<Parser, Int>, limit: Int, _ message: String,
                                    _ body: (inout Parser) throws -> T) throws -> T {
        if self[keyPath: depth] >= limit { throw CompileError(message, current.span) }
        self[keyPath: depth] += 1
        defer { self[keyPath: depth] -= 1 }
        return try body(&self)
    }

    /// Builds a node and refuses one deeper than `Nesting.maxExpressionDepth` (operator chains
    /// such as `a + b + c` and postfix chains such as `a[0][0]` grow without recursing here).
    private func node(_ kind: AST.ExpressionKind, _ span: SourceSpan) throws -> AST.Expression {
        let made = AST.Expression(kind: kind, span: span)
        if made.depth > Nesting.maxExpressionDepth { throw CompileError(Parser.tooDeepExpression, span) }
        return made
    }

    // MARK: - Module

    mutating func module() throws -> AST.Module {
        var module = AST.Module()
        while current.kind != .endOfFile {
            if consumeSymbol(";") { continue }
            if isKeyword("enable") || isKeyword("requires") {
                let isEnable = isKeyword("enable")
                _ = advance()
                repeat {
                    let (name, span) = try expectIdentifier("an extension name")
                    if isEnable { module.enables.append((name, span)) }
                } while consumeSymbol(",") && !isSymbol(";")
                try expectSymbol(";", "after the directive")
                continue
            }
            if isKeyword("diagnostic") {
                _ = advance()
                try skipBalancedParentheses()
                try expectSymbol(";", "after the diagnostic directive")
                continue
            }
            module.declarations.append(try globalDeclaration())
        }
        return module
    }

    private mutating func skipBalancedParentheses() throws {
        try expectSymbol("(", "to open the argument list")
        var depth = 1
        while depth > 0 {
            if current.kind == .endOfFile { throw CompileError("unbalanced parentheses", current.span) }
            if isSymbol("(") { depth += 1 }
            if isSymbol(")") { depth -= 1 }
            _ = advance()
        }
    }

    private mutating func attributes() throws -> [AST.Attribute] {
        var result: [AST.Attribute] = []
        while isSymbol("@") {
            let start = advance().span
            guard let name = current.identifier else {
                throw CompileError("expected an attribute name after '@', found \(current.quoted)", current.span)
            }
            var end = advance().span
            var arguments: [AST.Expression] = []
            if name == "diagnostic" {
                try skipBalancedParentheses()
            } else if isSymbol("(") {
                _ = advance()
                while !isSymbol(")") {
                    arguments.append(try expression())
                    if !consumeSymbol(",") { break }
                }
                end = try expectSymbol(")", "to close the attribute's arguments").span
            }
            result.append(AST.Attribute(name: name, arguments: arguments, span: start.union(end)))
        }
        return result
    }

    private mutating func globalDeclaration() throws -> AST.Declaration {
        let attrs = try attributes()
        let start = current.span
        guard let word = current.identifier else {
            throw CompileError("expected a declaration (fn, var, const, override, struct, alias), found \(current.quoted)", current.span)
        }
        switch word {
        case "struct":
            if !attrs.isEmpty { throw CompileError("structs take no attributes", attrs[0].span) }
            return .structure(try structDeclaration())
        case "var":
            let decl = try variableDeclaration(attributes: attrs)
            try expectSymbol(";", "after the variable declaration")
            return .variable(decl)
        case "const":
            let decl = try valueDeclaration(keyword: "const", attributes: attrs)
            try expectSymbol(";", "after the constant declaration")
            return .constant(decl)
        case "override":
            let decl = try valueDeclaration(keyword: "override", attributes: attrs)
            try expectSymbol(";", "after the override declaration")
            return .override(decl)
        case "fn":
            return .function(try functionDeclaration(attributes: attrs))
        case "alias":
            _ = advance()
            let (name, _) = try expectIdentifier("an alias name")
            try expectSymbol("=", "after the alias name")
            let type = try typeExpression()
            let end = try expectSymbol(";", "after the alias").span
            return .alias(name: name, type: type, span: start.union(end))
        case "const_assert":
            _ = advance()
            let condition = try expression()
            let end = try expectSymbol(";", "after const_assert").span
            return .constAssert(condition, span: start.union(end))
        case "let":
            throw CompileError("'let' is only allowed inside functions: use 'const' at module scope", current.span)
        default:
            throw CompileError("expected a declaration (fn, var, const, override, struct, alias), found \(current.quoted)", current.span)
        }
    }

    private mutating func structDeclaration() throws -> AST.StructDecl {
        let start = try expectKeyword("struct").span
        let (name, _) = try expectIdentifier("a struct name")
        try expectSymbol("{", "to open the struct body")
        var members: [AST.StructMember] = []
        while !isSymbol("}") {
            let attrs = try attributes()
            let (memberName, memberSpan) = try expectIdentifier("a member name")
            try expectSymbol(":", "after the member name")
            let type = try typeExpression()
            members.append(AST.StructMember(name: memberName, type: type, attributes: attrs, span: memberSpan.union(type.span)))
            if !consumeSymbol(",") { break }
        }
        let end = try expectSymbol("}", "to close the struct body (members are separated by ',')").span
        _ = consumeSymbol(";")
        return AST.StructDecl(name: name, members: members, span: start.union(end))
    }

    private mutating func variableDeclaration(attributes attrs: [AST.Attribute]) throws -> AST.VariableDecl {
        let start = try expectKeyword("var").span
        var space: String?
        var access: String?
        if isSymbol("<") {
            _ = advance()
            space = try expectIdentifier("an address space").0
            if consumeSymbol(",") {
                access = try expectIdentifier("an access mode").0
            }
            try expectSymbol(">", "to close the address space")
        }
        let (name, nameSpan) = try expectIdentifier("a variable name")
        var type: AST.Expression?
        if consumeSymbol(":") { type = try typeExpression() }
        var initializer: AST.Expression?
        if consumeSymbol("=") { initializer = try expression() }
        let end = tokens[max(0, index - 1)].span
        return AST.VariableDecl(name: name, addressSpace: space, accessMode: access, type: type,
                                initializer: initializer, attributes: attrs, span: start.union(end), nameSpan: nameSpan)
    }

    private mutating func valueDeclaration(keyword: String, attributes attrs: [AST.Attribute]) throws -> AST.ValueDecl {
        let start = try expectKeyword(keyword).span
        let (name, nameSpan) = try expectIdentifier("a name")
        var type: AST.Expression?
        if consumeSymbol(":") { type = try typeExpression() }
        var initializer: AST.Expression?
        if consumeSymbol("=") { initializer = try expression() }
        let end = tokens[max(0, index - 1)].span
        return AST.ValueDecl(name: name, type: type, initializer: initializer, attributes: attrs,
                             span: start.union(end), nameSpan: nameSpan)
    }

    private mutating func functionDeclaration(attributes attrs: [AST.Attribute]) throws -> AST.FunctionDecl {
        let start = try expectKeyword("fn").span
        let (name, nameSpan) = try expectIdentifier("a function name")
        try expectSymbol("(", "to open the parameter list")
        var parameters: [AST.Parameter] = []
        while !isSymbol(")") {
            let paramAttrs = try attributes()
            let (paramName, paramSpan) = try expectIdentifier("a parameter name")
            try expectSymbol(":", "after the parameter name")
            let type = try typeExpression()
            parameters.append(AST.Parameter(name: paramName, type: type, attributes: paramAttrs, span: paramSpan.union(type.span)))
            if !consumeSymbol(",") { break }
        }
        try expectSymbol(")", "to close the parameter list")
        var returnType: AST.Expression?
        var returnAttrs: [AST.Attribute] = []
        if consumeSymbol("->") {
            returnAttrs = try attributes()
            returnType = try typeExpression()
        }
        let body = try block()
        return AST.FunctionDecl(name: name, parameters: parameters, returnType: returnType, returnAttributes: returnAttrs,
                                attributes: attrs, body: body, span: start.union(body.span), nameSpan: nameSpan)
    }

    // MARK: - Types

    /// A type is an identifier with an optional template list; the resolver checks what it names.
    private mutating func typeExpression() throws -> AST.Expression {
        guard let name = current.identifier else {
            throw CompileError("expected a type, found \(current.quoted)", current.span)
        }
        let start = advance().span
        let (arguments, end) = try optionalTemplateList(after: name, start: start)
        return AST.Expression(kind: .identifier(name, templateArguments: arguments), span: start.union(end))
    }

    private mutating func optionalTemplateList(after name: String, start: SourceSpan) throws -> ([AST.Expression]?, SourceSpan) {
        guard Parser.templatedNames.contains(name), isSymbol("<") else { return (nil, start) }
        _ = advance()
        let saved = inTemplateList
        inTemplateList = true
        defer { inTemplateList = saved }
        var arguments: [AST.Expression] = []
        while !isSymbol(">") && !(current.symbol?.hasPrefix(">") ?? false) {
            arguments.append(try templateArgument())
            if !consumeSymbol(",") { break }
        }
        let end = try expectSymbol(">", "to close the template list of '\(name)'").span
        return (arguments, end)
    }

    /// Template arguments are types (`f32`, `array<u32>`), address spaces, access modes or
    /// constant expressions (`4`, `N * 2`).
    private mutating func templateArgument() throws -> AST.Expression {
        try expression()
    }

    // MARK: - Statements

    private mutating func block() throws -> AST.Block {
        try nestedBlock { try $0.unnestedBlock() }
    }

    private mutating func unnestedBlock() throws -> AST.Block {
        let start = try expectSymbol("{", "to open a block").span
        var statements: [AST.Statement] = []
        while !isSymbol("}") {
            if current.kind == .endOfFile {
                throw CompileError("unexpected end of file: a '}' is missing", current.span)
            }
            if consumeSymbol(";") { continue }
            statements.append(try statement())
        }
        let end = advance().span
        return AST.Block(statements: statements, span: start.union(end))
    }

    private mutating func statement() throws -> AST.Statement {
        // Statement attributes (@diagnostic on a loop, say) only steer warnings: parsed, ignored.
        _ = try attributes()
        let start = current.span
        if isSymbol("{") { return .block(try block()) }
        switch current.identifier {
        case "var":
            let decl = try variableDeclaration(attributes: [])
            try expectSymbol(";", "after the variable declaration")
            return .variable(decl)
        case "let":
            let decl = try valueDeclaration(keyword: "let", attributes: [])
            try expectSymbol(";", "after the let declaration")
            return .letBinding(decl)
        case "const":
            let decl = try valueDeclaration(keyword: "const", attributes: [])
            try expectSymbol(";", "after the constant declaration")
            return .constant(decl)
        case "if":
            return try ifStatement()
        case "switch":
            return try switchStatement()
        case "loop":
            return try loopStatement()
        case "for":
            return try forStatement()
        case "while":
            _ = advance()
            let condition = try expression()
            let body = try block()
            return .whileLoop(condition: condition, body: body, span: start.union(body.span))
        case "break":
            _ = advance()
            if isKeyword("if") {
                throw CompileError("'break if' is only allowed as the last statement of a 'continuing' block", current.span)
            }
            let end = try expectSymbol(";", "after 'break'").span
            return .breakStatement(span: start.union(end))
        case "continue":
            _ = advance()
            let end = try expectSymbol(";", "after 'continue'").span
            return .continueStatement(span: start.union(end))
        case "return":
            _ = advance()
            var value: AST.Expression?
            if !isSymbol(";") { value = try expression() }
            let end = try expectSymbol(";", "after the return statement").span
            return .returnStatement(value, span: start.union(end))
        case "discard":
            _ = advance()
            let end = try expectSymbol(";", "after 'discard'").span
            return .discard(span: start.union(end))
        case "const_assert":
            _ = advance()
            let condition = try expression()
            let end = try expectSymbol(";", "after const_assert").span
            return .constAssert(condition, span: start.union(end))
        default:
            let statement = try simpleStatement()
            try expectSymbol(";", "after the statement")
            return statement
        }
    }

    /// Assignment, increment, decrement or call: the forms allowed in a for-loop header too.
    private mutating func simpleStatement() throws -> AST.Statement {
        let start = current.span
        if current.identifier == "_" && peekSymbol(1) == "=" {
            _ = advance()
            _ = advance()
            let value = try expression()
            return .phonyAssignment(value, span: start.union(value.span))
        }
        let target = try unaryExpression()
        if let sym = current.symbol {
            switch sym {
            case "=":
                _ = advance()
                let value = try expression()
                return .assignment(lhs: target, op: nil, rhs: value, span: start.union(value.span))
            case "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", ">>=", "<<=":
                _ = advance()
                let value = try expression()
                return .assignment(lhs: target, op: String(sym.dropLast()), rhs: value, span: start.union(value.span))
            case "++":
                let end = advance().span
                return .increment(target, span: start.union(end))
            case "--":
                let end = advance().span
                return .decrement(target, span: start.union(end))
            default:
                break
            }
        }
        if case .call = target.kind { return .call(target, span: target.span) }
        throw CompileError("expected an assignment, '++', '--' or a function call; found \(current.quoted)", current.span)
    }

    private mutating func ifStatement() throws -> AST.Statement {
        let start = try expectKeyword("if").span
        let condition = try expression()
        let then = try block()
        var otherwise: AST.Statement?
        if isKeyword("else") {
            _ = advance()
            if isKeyword("if") {
                otherwise = try nestedBlock { try $0.ifStatement() }
            } else {
                otherwise = .block(try block())
            }
        }
        return .ifElse(condition: condition, then: then, otherwise: otherwise, span: start.union(then.span))
    }

    private mutating func switchStatement() throws -> AST.Statement {
        let start = try expectKeyword("switch").span
        let selector = try expression()
        _ = try attributes()
        try expectSymbol("{", "to open the switch body")
        var clauses: [AST.SwitchClause] = []
        while !isSymbol("}") {
            let clauseStart = current.span
            var selectors: [AST.Expression?] = []
            if isKeyword("default") {
                _ = advance()
                selectors.append(nil)
            } else if isKeyword("case") {
                _ = advance()
                while !isSymbol(":") && !isSymbol("{") {
                    if isKeyword("default") {
                        _ = advance()
                        selectors.append(nil)
                    } else {
                        selectors.append(try expression())
                    }
                    if !consumeSymbol(",") { break }
                }
            } else {
                throw CompileError("expected 'case' or 'default' in the switch body, found \(current.quoted)", current.span)
            }
            _ = consumeSymbol(":")
            let body = try block()
            clauses.append(AST.SwitchClause(selectors: selectors, body: body, span: clauseStart.union(body.span)))
        }
        let end = advance().span
        return .switchStatement(selector: selector, clauses: clauses, span: start.union(end))
    }

    private mutating func loopStatement() throws -> AST.Statement {
        let start = try expectKeyword("loop").span
        let open = try expectSymbol("{", "to open the loop body").span
        var statements: [AST.Statement] = []
        var continuing: AST.Continuing?
        while !isSymbol("}") {
            if current.kind == .endOfFile { throw CompileError("unexpected end of file: a '}' is missing", current.span) }
            if consumeSymbol(";") { continue }
            if isKeyword("continuing") {
                continuing = try continuingBlock()
                if !isSymbol("}") {
                    throw CompileError("'continuing' must be the last part of a loop body", current.span)
                }
                break
            }
            statements.append(try statement())
        }
        let end = advance().span
        return .loop(body: AST.Block(statements: statements, span: open.union(end)), continuing: continuing, span: start.union(end))
    }

    private mutating func continuingBlock() throws -> AST.Continuing {
        let start = try expectKeyword("continuing").span
        try expectSymbol("{", "to open the continuing block")
        var statements: [AST.Statement] = []
        var breakIf: AST.Expression?
        while !isSymbol("}") {
            if current.kind == .endOfFile { throw CompileError("unexpected end of file: a '}' is missing", current.span) }
            if consumeSymbol(";") { continue }
            if isKeyword("break") && tokens[index + 1].identifier == "if" {
                _ = advance()
                _ = advance()
                breakIf = try expression()
                try expectSymbol(";", "after 'break if' condition")
                if !isSymbol("}") {
                    throw CompileError("'break if' must be the last statement of the continuing block", current.span)
                }
                break
            }
            statements.append(try statement())
        }
        let end = advance().span
        return AST.Continuing(body: AST.Block(statements: statements, span: start.union(end)), breakIf: breakIf, span: start.union(end))
    }

    private mutating func forStatement() throws -> AST.Statement {
        let start = try expectKeyword("for").span
        try expectSymbol("(", "after 'for'")
        var initializer: AST.Statement?
        if !isSymbol(";") {
            switch current.identifier {
            case "var": initializer = .variable(try variableDeclaration(attributes: []))
            case "let": initializer = .letBinding(try valueDeclaration(keyword: "let", attributes: []))
            case "const": initializer = .constant(try valueDeclaration(keyword: "const", attributes: []))
            default: initializer = try simpleStatement()
            }
        }
        try expectSymbol(";", "after the for-loop initializer")
        var condition: AST.Expression?
        if !isSymbol(";") { condition = try expression() }
        try expectSymbol(";", "after the for-loop condition")
        var update: AST.Statement?
        if !isSymbol(")") { update = try simpleStatement() }
        try expectSymbol(")", "to close the for-loop header")
        let body = try block()
        return .forLoop(initializer: initializer, condition: condition, update: update, body: body, span: start.union(body.span))
    }

    // MARK: - Expressions

    private static func isUnaryShaped(_ e: AST.Expression) -> Bool {
        if case .binary = e.kind { return false }
        return true
    }

    private func closesTemplate(_ sym: String) -> Bool {
        inTemplateList && sym.hasPrefix(">")
    }

    mutating func expression() throws -> AST.Expression {
        try nestedExpression { try $0.unnestedExpression() }
    }

    private mutating func unnestedExpression() throws -> AST.Expression {
        let first = try relationalExpression()
        guard let sym = current.symbol, !closesTemplate(sym) else { return first }
        switch sym {
        case "&&", "||":
            var lhs = first
            while consumeSymbol(sym) {
                let rhs = try relationalExpression()
                lhs = try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
            }
            if let other = current.symbol, other == "&&" || other == "||" {
                throw CompileError("mixing '&&' and '||' needs parentheses to say which binds first", current.span)
            }
            return lhs
        case "&", "|", "^":
            guard Parser.isUnaryShaped(first) else {
                throw CompileError("'\(sym)' cannot follow another binary operator without parentheses: write (a op b) \(sym) c", current.span)
            }
            var lhs = first
            while consumeSymbol(sym) {
                let rhs = try unaryExpression()
                lhs = try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
            }
            if let other = current.symbol, ["&", "|", "^", "&&", "||", "+", "-", "*", "/", "%", "<<", ">>", "<", ">", "<=", ">=", "==", "!="].contains(other), !closesTemplate(other) {
                throw CompileError("'\(other)' cannot follow '\(sym)' without parentheses", current.span)
            }
            return lhs
        default:
            return first
        }
    }

    private mutating func relationalExpression() throws -> AST.Expression {
        let lhs = try shiftExpression()
        guard let sym = current.symbol, ["<", ">", "<=", ">=", "==", "!="].contains(sym), !closesTemplate(sym) else { return lhs }
        _ = advance()
        let rhs = try shiftExpression()
        if let next = current.symbol, ["<", ">", "<=", ">=", "==", "!="].contains(next), !closesTemplate(next) {
            throw CompileError("comparisons do not chain in WGSL: combine them with '&&'", current.span)
        }
        return try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
    }

    private mutating func shiftExpression() throws -> AST.Expression {
        let lhs = try additiveExpression()
        guard let sym = current.symbol, sym == "<<" || sym == ">>", !closesTemplate(sym) else { return lhs }
        guard Parser.isUnaryShaped(lhs) else {
            throw CompileError("a shift cannot follow another binary operator without parentheses: write (a op b) \(sym) c", current.span)
        }
        _ = advance()
        let rhs = try unaryExpression()
        if let next = current.symbol, ["<<", ">>", "+", "-", "*", "/", "%"].contains(next) {
            throw CompileError("'\(next)' cannot follow a shift without parentheses", current.span)
        }
        return try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
    }

    private mutating func additiveExpression() throws -> AST.Expression {
        var lhs = try multiplicativeExpression()
        while let sym = current.symbol, sym == "+" || sym == "-" {
            _ = advance()
            let rhs = try multiplicativeExpression()
            lhs = try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func multiplicativeExpression() throws -> AST.Expression {
        var lhs = try unaryExpression()
        while let sym = current.symbol, sym == "*" || sym == "/" || sym == "%" {
            _ = advance()
            let rhs = try unaryExpression()
            lhs = try node(.binary(op: sym, lhs: lhs, rhs: rhs), lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func unaryExpression() throws -> AST.Expression {
        if let sym = current.symbol, ["-", "!", "~", "*", "&"].contains(sym) {
            let start = advance().span
            let operand = try nestedExpression { try $0.unaryExpression() }
            return try node(.unary(op: sym, operand: operand), start.union(operand.span))
        }
        if let sym = current.symbol, sym == "--" || sym == "&&" {
            throw CompileError("unexpected '\(sym)': WGSL has no prefix '\(sym)'", current.span)
        }
        return try postfixExpression()
    }

    private mutating func postfixExpression() throws -> AST.Expression {
        var base = try primaryExpression()
        while true {
            if isSymbol("[") {
                _ = advance()
                let saved = inTemplateList
                inTemplateList = false
                let indexExpression = try expression()
                inTemplateList = saved
                let end = try expectSymbol("]", "to close the index").span
                base = try node(.index(base: base, index: indexExpression), base.span.union(end))
            } else if isSymbol(".") {
                _ = advance()
                guard let name = current.identifier else {
                    throw CompileError("expected a member name or swizzle after '.', found \(current.quoted)", current.span)
                }
                let nameSpan = advance().span
                base = try node(.member(base: base, name: name, nameSpan: nameSpan), base.span.union(nameSpan))
            } else {
                return base
            }
        }
    }

    private mutating func primaryExpression() throws -> AST.Expression {
        let token = current
        switch token.kind {
        case .intLiteral(let value, let suffix):
            _ = advance()
            return AST.Expression(kind: .intLiteral(value, suffix: suffix), span: token.span)
        case .floatLiteral(let value, let suffix):
            _ = advance()
            return AST.Expression(kind: .floatLiteral(value, suffix: suffix), span: token.span)
        case .identifier(let name):
            if name == "true" || name == "false" {
                _ = advance()
                return AST.Expression(kind: .boolLiteral(name == "true"), span: token.span)
            }
            if wgslKeywords.contains(name) {
                throw CompileError("expected an expression, found the keyword '\(name)'", token.span)
            }
            _ = advance()
            let (templateArguments, templateEnd) = try optionalTemplateList(after: name, start: token.span)
            let callee = AST.Expression(kind: .identifier(name, templateArguments: templateArguments), span: token.span.union(templateEnd))
            if isSymbol("(") {
                _ = advance()
                let saved = inTemplateList
                inTemplateList = false
                var arguments: [AST.Expression] = []
                while !isSymbol(")") {
                    arguments.append(try expression())
                    if !consumeSymbol(",") { break }
                }
                inTemplateList = saved
                let end = try expectSymbol(")", "to close the argument list of '\(name)'").span
                return try node(.call(callee: callee, arguments: arguments), token.span.union(end))
            }
            return callee
        case .symbol("("):
            _ = advance()
            let saved = inTemplateList
            inTemplateList = false
            let inner = try expression()
            inTemplateList = saved
            let end = try expectSymbol(")", "to close the parenthesis").span
            return try node(.parenthesized(inner), token.span.union(end))
        default:
            throw CompileError("expected an expression, found \(token.quoted)", token.span)
        }
    }
}
