// Checks that a resolved module can be written as GLSL ES 3.10 with WGSL's meaning intact. The
// writer accepts only a `ValidatedModule`, so a module that skipped these checks cannot be
// printed. The resolver has already enforced WGSL's own typing rules; these are the rules of the
// target: binding numbers that fit the flattening rule, block layouts GLSL reproduces exactly,
// override ids that are unique, and a workgroup size GLSL can state in a layout qualifier.

struct ValidatedModule {
    let module: IRModule
    let entryPoint: IREntryPoint
}

enum Validator {
    static func validate(_ module: IRModule) throws -> ValidatedModule {
        guard let entryPoint = module.entryPoint else {
            throw CompileError("no compute entry point: mark one function with '@compute @workgroup_size(...)'", .none)
        }
        for global in module.globals {
            if let binding = global.binding {
                guard binding.binding >= 0 && binding.binding < GLSLBindingRule.bindingsPerGroup,
                      binding.group >= 0 && binding.group < GLSLBindingRule.maxGroups else {
                    throw CompileError("@group(\(binding.group)) @binding(\(binding.binding)) is out of range: GLSL bindings are group * \(GLSLBindingRule.bindingsPerGroup) + binding, so use groups 0..<\(GLSLBindingRule.maxGroups) and bindings 0..<\(GLSLBindingRule.bindingsPerGroup)", global.span)
                }
            }
            switch global.space {
            case .uniform:
                if let mismatch = module.layoutMismatch(global.type, glslRules: .std140, path: global.name) {
                    throw CompileError("var<uniform> '\(global.name)' cannot be expressed as a GLSL std140 block: \(mismatch); pad the struct so both agree (vec4-aligned members, array strides of 16 bytes) or use var<storage, read>", global.span)
                }
                if module.containsType(global.type, where: { if case .scalar(.f16) = $0 { return true }; if case .vector(_, .f16) = $0 { return true }; return false }) {
                    throw CompileError("f16 in var<uniform> is not supported by GLSL std140 blocks: use var<storage, read>", global.span)
                }
            case .storage:
                if let mismatch = module.layoutMismatch(global.type, glslRules: .std430, path: global.name) {
                    throw CompileError("var<storage> '\(global.name)' cannot be expressed as a GLSL std430 block: \(mismatch); remove the @align/@size attributes or add explicit padding members", global.span)
                }
            default:
                break
            }
        }
        var ids: [Int: String] = [:]
        for item in module.overrides {
            if let id = item.id {
                if let other = ids[id] { throw CompileError("@id(\(id)) is used by both '\(other)' and '\(item.name)'", item.span) }
                ids[id] = item.name
            }
        }
        for dimension in entryPoint.workgroupSize {
            if case .override(let index) = dimension {
                let item = module.overrides[index]
                guard item.type == .u32 || item.type == .i32 else {
                    throw CompileError("override '\(item.name)' sizes the workgroup, so it must be u32 or i32", item.span)
                }
                guard item.defaultValue != nil else {
                    throw CompileError("override '\(item.name)' sizes the workgroup, so it needs a literal default (GLSL's local_size takes a macro that expands to a number)", item.span)
                }
            }
        }
        return ValidatedModule(module: module, entryPoint: entryPoint)
    }
}

extension IRModule {
    func containsType(_ type: IRType, where predicate: (IRType) -> Bool) -> Bool {
        if predicate(type) { return true }
        switch type {
        case .array(let element, _): return containsType(element, where: predicate)
        case .structure(let index): return structs[index].members.contains { containsType($0.type, where: predicate) }
        case .matrix(_, let r, let s): return predicate(.vector(r, s))
        default: return false
        }
    }
}
