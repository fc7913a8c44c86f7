import Foundation
import GGUF
import Kernels

extension ReferenceModel {
    /// Loads every tensor of a checked model file into a CPU reference model, dequantised with the
    /// kernels module's CPU dequantisers (the same decoding the GPU kernels are tested against).
    public init(model: ModelFile) throws {
        try self.init(config: model.config) { name in
            let info = try model.info(name)
            guard let format = WeightFormat(ggml: info.type) else {
                throw GPTOSSError.unsupportedTensorType(name: name, found: info.type.name,
                                                        supported: TensorTable.supportedTypes.map(\.name))
            }
            let cols = Int(info.dimensions[0])
            let rows = Int(info.elementCount) / cols
            return try GGMLBlocks.dequantize(raw: model.file.tensorData(info), format: format,
                                             rows: rows, cols: cols, tensor: name)
        }
    }
}
