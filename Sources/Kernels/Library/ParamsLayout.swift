import Foundation

/// The members of a kernel's uniform `Params` struct as the translator's reflection lists them
/// (`Shaders/glsl/<shader>.json`): the order and types the host must write (`UniformWriter`).
public struct ParamsLayout: Equatable, Sendable {
    public enum ScalarType: String, Decodable, Sendable { case u32, i32, f32 }

    public struct Field: Equatable, Sendable, CustomStringConvertible {
        public var name: String
        public var type: ScalarType
        public var description: String { "\(name): \(type.rawValue)" }
    }

    public let shader: String
    public let fields: [Field]

    public init(shader: String, fields: [Field]) {
        self.shader = shader
        self.fields = fields
    }

    /// The uniform block of a reflection JSON. Shaders without one have an empty layout.
    public init(shader: String, reflectionJSON data: Data) throws {
        struct Reflection: Decodable {
            struct Binding: Decodable {
                struct Layout: Decodable {
                    struct Member: Decodable { let name: String; let type: String; let offset: Int }
                    let members: [Member]
                }
                let kind: String
                let layout: Layout?
            }
            let bindings: [Binding]
        }
        let reflection: Reflection
        do {
            reflection = try JSONDecoder().decode(Reflection.self, from: data)
        } catch {
            throw KernelsError.malformedShader(name: shader, reason: "unreadable reflection JSON (\(error))")
        }
        let uniforms = reflection.bindings.filter { $0.kind == "uniform" }
        guard uniforms.count <= 1 else {
            throw KernelsError.malformedShader(name: shader, reason: "\(uniforms.count) uniform blocks; the launchers write one")
        }
        var fields: [Field] = []
        for (index, member) in (uniforms.first?.layout?.members ?? []).enumerated() {
            guard let type = ScalarType(rawValue: member.type), member.offset == index * 4 else {
                throw KernelsError.malformedShader(name: shader, reason: "params member '\(member.name)' (\(member.type) at byte "
                                                   + "\(member.offset)) is not a tightly packed 32-bit scalar")
            }
            fields.append(Field(name: member.name, type: type))
        }
        self.init(shader: shader, fields: fields)
    }

    /// Throws unless `written` are exactly this layout's fields, in order.
    public func check(written: [Field]) throws {
        guard written != fields else { return }
        let first = zip(written, fields).map { $0 != $1 }.firstIndex(of: true) ?? min(written.count, fields.count)
        let got = first < written.count ? "\(written[first])" : "nothing"
        let want = first < fields.count ? "\(fields[first])" : "nothing"
        throw KernelsError.paramsMismatch(shader: shader, field: first, written: got, expected: want)
    }
}
