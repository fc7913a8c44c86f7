import GGUF
import Kernels

extension WeightFormat {
    /// The kernels' format for a ggml tensor type; nil for types no kernel reads.
    public init?(ggml type: GGMLType) {
        switch type {
        case .f32: self = .f32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q8_0: self = .q8_0
        case .mxfp4: self = .mxfp4
        default: return nil
        }
    }
}
