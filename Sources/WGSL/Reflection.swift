// What the host needs to know about a translated shader without parsing GLSL: the workgroup size,
// every binding with its GLSL binding point and memory layout (so launchers can check their Swift
// parameter structs against the shader at load), the overrides and the extensions used. It is
// Codable and written next to each generated .comp as JSON.

public struct ShaderReflection: Codable, Equatable, Sendable {
    public var entryPoint: String
    /// Three dimensions (x, y, z).
    public var workgroupSize: [WorkgroupSizeReflection]
    public var bindings: [BindingReflection]
    public var overrides: [OverrideReflection]
    /// GLSL extensions the shader enables (`GL_KHR_shader_subgroup_arithmetic`, ...).
    public var extensions: [String]
}

public struct WorkgroupSizeReflection: Codable, Equatable, Sendable {
    /// The size when it is a literal in the WGSL.
    public var value: Int?
    /// The override that sets it, when it is one; `defaultValue` is its default.
    public var override: String?
    public var defaultValue: Int?

    /// The size this dimension has when no override is specialised.
    public var effectiveValue: Int? { value ?? defaultValue }
}

public enum BindingKind: String, Codable, Sendable {
    case storageRead = "storage-read"
    case storageReadWrite = "storage-read_write"
    case uniform
}

public struct BindingReflection: Codable, Equatable, Sendable {
    public var group: Int
    public var binding: Int
    /// The GLSL `layout(binding = N)`: `group * 16 + binding` (see docs/wgsl.md).
    public var glslBinding: Int
    public var kind: BindingKind
    /// The WGSL variable name.
    public var name: String
    /// The WGSL type, as written in WGSL (`array<f32>`, `Params`).
    public var type: String
    /// The struct's name when the variable's type is a struct.
    public var structName: String?
    /// Size in bytes of the fixed part (everything but a trailing runtime-sized array).
    public var size: Int
    /// For a runtime-sized array (the variable itself or its struct's last member): its stride.
    public var runtimeArrayStride: Int?
    /// Member offsets when the type is a struct (WGSL layout, equal to the GLSL block layout).
    public var layout: StructLayoutReflection?
}

public struct StructLayoutReflection: Codable, Equatable, Sendable {
    public var name: String
    public var size: Int
    public var alignment: Int
    public var members: [MemberLayoutReflection]
}

public struct MemberLayoutReflection: Codable, Equatable, Sendable {
    public var name: String
    public var type: String
    public var offset: Int
    /// Size in bytes (for a runtime-sized array: 0).
    public var size: Int
    public var alignment: Int
    /// Element stride for array members (and column stride for matrices).
    public var arrayStride: Int?
    /// Nested struct layout, for struct members and arrays of structs.
    public var layout: StructLayoutReflection?
}

public struct OverrideReflection: Codable, Equatable, Sendable {
    public var name: String
    /// `@id(n)` when given.
    public var id: Int?
    /// WGSL scalar type: bool, i32, u32, f32 or f16.
    public var type: String
    /// The default (or the value passed to the translator); nil when it derives from other overrides.
    public var defaultValue: Double?
    /// The macro the host defines to specialise it: `#define OVERRIDE_<name> <value>`.
    public var macro: String
}

extension IRModule {
    func structLayoutReflection(_ index: Int) -> StructLayoutReflection {
        let structure = structs[index]
        let layout = self.layout(of: .structure(index), rules: .wgsl)
        let members = structure.members.enumerated().map { i, member -> MemberLayoutReflection in
            let memberLayout = self.layout(of: member.type, rules: .wgsl)
            var nested: StructLayoutReflection?
            var innermost = member.type
            while case .array(let element, _) = innermost { innermost = element }
            if case .structure(let inner) = innermost { nested = structLayoutReflection(inner) }
            return MemberLayoutReflection(name: member.name, type: describe(member.type), offset: layout.memberOffsets![i],
                                          size: member.sizeAttribute ?? memberLayout.size, alignment: member.alignAttribute ?? memberLayout.alignment,
                                          arrayStride: memberLayout.stride, layout: nested)
        }
        return StructLayoutReflection(name: structure.name, size: layout.size, alignment: layout.alignment, members: members)
    }

    func bindingReflection(_ global: IRGlobal) -> BindingReflection {
        let binding = global.binding!
        let kind: BindingKind = global.space == .uniform ? .uniform : (global.access == .read ? .storageRead : .storageReadWrite)
        var structName: String?
        var layoutReflection: StructLayoutReflection?
        var runtimeStride: Int?
        var size = layout(of: global.type, rules: .wgsl).size
        switch global.type {
        case .structure(let index):
            structName = structs[index].name
            layoutReflection = structLayoutReflection(index)
            if let last = structs[index].members.last, case .array(let element, .runtime) = last.type {
                runtimeStride = layout(of: .array(element, .runtime), rules: .wgsl).stride
                size = layoutReflection!.members.last!.offset
            }
        case .array(let element, .runtime):
            runtimeStride = layout(of: global.type, rules: .wgsl).stride
            size = 0
            if case .structure(let index) = element { layoutReflection = structLayoutReflection(index) }
        case .array(let element, _):
            if case .structure(let index) = element { layoutReflection = structLayoutReflection(index) }
        default:
            break
        }
        return BindingReflection(group: binding.group, binding: binding.binding, glslBinding: GLSLBindingRule.glslBinding(binding),
                                 kind: kind, name: global.name, type: describe(global.type), structName: structName, size: size,
                                 runtimeArrayStride: runtimeStride, layout: layoutReflection)
    }
}

/// The one rule mapping WGSL (group, binding) to a GLSL binding point.
enum GLSLBindingRule {
    static let bindingsPerGroup = 16
    static let maxGroups = 4

    static func glslBinding(_ binding: IRBinding) -> Int {
        binding.group * bindingsPerGroup + binding.binding
    }
}
