// Memory layout of host-shareable types. WGSL defines one layout (with @align/@size); GLSL blocks
// lay out by std430 (storage) or std140 (uniform). For the types WGSL allows these mostly agree;
// where they would not (a vec2 matrix or an @align in a uniform block, for instance) we refuse
// with a diagnostic instead of writing a shader whose offsets silently differ from the host's.

enum LayoutRules {
    case wgsl, std430, std140
}

struct TypeLayout {
    var size: Int
    var alignment: Int
    /// For arrays and matrices: the distance between elements (columns).
    var stride: Int?
    /// For structs: the offset of each member.
    var memberOffsets: [Int]?
}

extension IRModule {
    func layout(of type: IRType, rules: LayoutRules) -> TypeLayout {
        func roundUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) / alignment * alignment }
        switch type {
        case .scalar(let s), .atomic(let s):
            return TypeLayout(size: s.byteSize, alignment: s.byteSize)
        case .vector(let n, let s):
            let size = n * s.byteSize
            return TypeLayout(size: size, alignment: (n == 3 ? 4 : n) * s.byteSize)
        case .matrix(let columns, let rows, let s):
            let column = layout(of: .vector(rows, s), rules: rules)
            var stride = roundUp(column.size, column.alignment)
            var alignment = column.alignment
            if rules == .std140 {
                stride = roundUp(stride, 16)
                alignment = roundUp(alignment, 16)
            }
            return TypeLayout(size: stride * columns, alignment: alignment, stride: stride)
        case .array(let element, let count):
            let elementLayout = layout(of: element, rules: rules)
            var alignment = elementLayout.alignment
            var stride = roundUp(elementLayout.size, elementLayout.alignment)
            if rules == .std140 {
                alignment = roundUp(alignment, 16)
                stride = roundUp(stride, 16)
            }
            let n: Int
            if case .constant(let c) = count { n = c } else { n = 0 }
            return TypeLayout(size: stride * n, alignment: alignment, stride: stride)
        case .structure(let index):
            var offset = 0
            var alignment = 1
            var offsets: [Int] = []
            for member in structs[index].members {
                let memberLayout = layout(of: member.type, rules: rules)
                let memberAlignment = rules == .wgsl ? (member.alignAttribute ?? memberLayout.alignment) : memberLayout.alignment
                let memberSize = rules == .wgsl ? (member.sizeAttribute ?? memberLayout.size) : memberLayout.size
                offset = roundUp(offset, memberAlignment)
                offsets.append(offset)
                offset += memberSize
                alignment = max(alignment, memberAlignment)
                // std140: the space after a struct or array member is padded to 16 bytes.
                if rules == .std140, case .structure = member.type { offset = roundUp(offset, 16) }
            }
            if rules == .std140 { alignment = roundUp(alignment, 16) }
            return TypeLayout(size: roundUp(offset, alignment), alignment: alignment, memberOffsets: offsets)
        case .pointer:
            return TypeLayout(size: 0, alignment: 1)
        }
    }

    /// Nil when `type` lays out identically under WGSL's rules and the GLSL block rules; otherwise
    /// a description of the first difference.
    func layoutMismatch(_ type: IRType, glslRules: LayoutRules, path: String) -> String? {
        let wgsl = layout(of: type, rules: .wgsl)
        let glsl = layout(of: type, rules: glslRules)
        let rulesName = glslRules == .std140 ? "std140" : "std430"
        switch type {
        case .structure(let index):
            let members = structs[index].members
            for (i, member) in members.enumerated() {
                let memberPath = "\(path).\(member.name)"
                if wgsl.memberOffsets![i] != glsl.memberOffsets![i] {
                    return "member '\(memberPath)' is at offset \(wgsl.memberOffsets![i]) in WGSL but \(glsl.memberOffsets![i]) in GLSL \(rulesName)"
                }
                if let inner = layoutMismatch(member.type, glslRules: glslRules, path: memberPath) { return inner }
            }
            return nil
        case .array(let element, _):
            if wgsl.stride != glsl.stride {
                return "'\(path)' has an element stride of \(wgsl.stride!) bytes in WGSL but \(glsl.stride!) in GLSL \(rulesName)"
            }
            return layoutMismatch(element, glslRules: glslRules, path: "\(path)[i]")
        case .matrix:
            if wgsl.stride != glsl.stride {
                return "'\(path)' has a column stride of \(wgsl.stride!) bytes in WGSL but \(glsl.stride!) in GLSL \(rulesName)"
            }
            return nil
        default:
            return nil
        }
    }
}
