import Foundation
import GGUF

extension ReferenceModel {
    /// Turns a tensor's raw ggml bytes into floats in ggml element order.
    public typealias Dequantizer = (_ type: GGMLType, _ bytes: [UInt8], _ count: Int) throws -> [Float]

    /// Loads every tensor of a checked model file, dequantised with `dequantize` (the kernels
    /// module's CPU dequantisers), into a CPU reference model.
    public init(model: ModelFile, dequantize: Dequantizer) throws {
        try self.init(config: model.config) { name in
            let info = try model.info(name)
            let bytes = try model.file.tensorData(info)
            return try dequantize(info.type, bytes, Int(info.elementCount))
        }
    }
}
