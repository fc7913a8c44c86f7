import Foundation
import GGUF
import GLES
import Kernels
import Telemetry

/// Moves tensors from the file to the GPU (or, for cached experts, to host memory), reporting
/// each move. Reading runs ahead on a background thread (`TensorPrefetcher`); repacking runs on
/// every core straight into the upload memory (`RowRepacker`, `WeightUploadMethod`). GL calls
/// stay on the calling thread, which owns the context.
final class Placer {
    let model: ModelFile
    let context: GLContext
    let telemetry: TelemetryBus?
    let progress: ((Int, Int) -> Void)?
    let totalBytes: Int
    private var prefetcher: TensorPrefetcher?
    /// Reused by every staged upload of this placement (dropped with the placer).
    private let staging = StagingArea()
    var readBytes = 0
    var uploadedBytes = 0
    var timings = LoadTimings()
    var unplannedReads: Int { prefetcher?.unplannedReads ?? 0 }

    init(model: ModelFile, context: GLContext, uploadMethod: WeightUploadMethod?, telemetry: TelemetryBus?, progress: ((Int, Int) -> Void)?) {
        self.model = model; self.context = context; self.telemetry = telemetry; self.progress = progress
        timings.uploadMethod = WeightUploadMethod.current(for: context.limits, chosen: uploadMethod)
        totalBytes = model.table.entries.reduce(0) { total, entry in
            total + Int(model.file.tensor(named: entry.name)?.byteCount ?? 0)
        }
    }

    /// Starts reading `order` ahead.
    func start(order: [String]) {
        let infos = order.compactMap { model.file.tensor(named: $0) }
        let largest = infos.map { Int($0.byteCount) }.max() ?? 0
        let prefetcher = TensorPrefetcher(file: model.file, plan: infos, aheadBytes: max(1 << 30, 2 * largest))
        prefetcher.start()
        self.prefetcher = prefetcher
    }

    func stop() { prefetcher?.cancel() }

    // MARK: - Reading

    struct Raw {
        let tensor: RawTensor
        let format: WeightFormat
        let rows: Int
        let cols: Int
        var rowBytes: Int { format.rawByteCount(rows: 1, cols: cols) }
        var rowMap: RawRowMap { .contiguous(tensor.pointer, rows: rows, rowBytes: rowBytes, keeping: [tensor]) }
    }

    /// The tensor's raw bytes and its rows × cols view (ggml: cols = ne0, rows = the rest).
    func raw(_ name: String) throws -> Raw {
        let info = try model.info(name)
        guard let format = WeightFormat(ggml: info.type) else {
            throw GPTOSSError.unsupportedTensorType(name: name, found: info.type.name,
                                                    supported: TensorTable.supportedTypes.map(\.name))
        }
        let waitStart = Date()
        let tensor: RawTensor
        if let prefetcher { tensor = try prefetcher.take(name) } else {
            let p = TensorPrefetcher(file: model.file, plan: [])
            tensor = try p.take(name)
        }
        timings.waitSeconds += Date().timeIntervalSince(waitStart)
        timings.readSeconds += tensor.readSeconds
        readBytes += tensor.bytes.count
        telemetry?.emit(.tensorFetched(TensorTransfer(
            name: name, type: info.type.name.lowercased(), shape: info.dimensions.map { Int($0) },
            bytes: tensor.bytes.count, ms: tensor.readSeconds * 1000)))
        progress?(readBytes, totalBytes)
        let cols = Int(info.dimensions[0])
        return Raw(tensor: tensor, format: format, rows: Int(info.elementCount) / cols, cols: cols)
    }

    // MARK: - Matrices

    /// Repacks `source` (rows of `format`, `cols` values) into new GPU buffers.
    func upload(_ source: RawRowMap, format: WeightFormat, cols: Int, label: String, rowsPerUnit: Int = 1) throws -> GPUWeights {
        let start = Date()
        let weights = try GPUWeights(context: context, format: format, rows: source.rows, cols: cols, label: label,
                                     rowsPerUnit: rowsPerUnit, staging: staging) { rows, scales, data in
            RowRepacker.repack(format: format, cols: cols, source: source, rows: rows, scales: scales, data: data)
        }
        timings.repackSeconds += weights.fillSeconds
        timings.transferSeconds += Date().timeIntervalSince(start) - weights.fillSeconds
        return weights
    }

    func matrix(_ name: String) throws -> GPUWeights {
        let r = try raw(name)
        let start = Date()
        let weights = try upload(r.rowMap, format: r.format, cols: r.cols, label: name)
        uploaded(name, bytes: weights.byteCount, format: r.format, shape: [r.cols, r.rows], since: start)
        return weights
    }

    /// Q, K and V of a layer: one fused [q | k | v] matrix when they share a type, else three.
    func qkv(layer b: String) throws -> GPUModelWeights.QKVProjection {
        let names = ["attn_q", "attn_k", "attn_v"]
        let parts = try names.map { try raw(b + $0 + ".weight") }
        let biases = try names.map { try floats(b + $0 + ".bias") }
        if Set(parts.map(\.format)).count == 1, Set(parts.map(\.cols)).count == 1 {
            let first = parts[0]
            let start = Date()
            let map = RawRowMap.concatenated(parts.map { ($0.rows, $0.tensor.pointer) }, rowBytes: first.rowBytes,
                                             keeping: parts.map(\.tensor))
            let weights = try upload(map, format: first.format, cols: first.cols, label: b + "attn_qkv")
            uploaded(b + "attn_qkv", bytes: weights.byteCount, format: first.format, shape: [first.cols, map.rows], since: start)
            return .fused(weights, bias: try vector(biases.flatMap { $0 }, label: b + "attn_qkv.bias"))
        }
        return .separate(try zip(names, zip(parts, biases)).map { name, pair in
            let start = Date()
            let weights = try upload(pair.0.rowMap, format: pair.0.format, cols: pair.0.cols, label: b + name + ".weight")
            uploaded(b + name + ".weight", bytes: weights.byteCount, format: pair.0.format, shape: [pair.0.cols, pair.0.rows], since: start)
            return (weights, bias: try vector(pair.1, label: b + name + ".bias"))
        })
    }

    // MARK: - Experts

    /// Gate and up stacks of a layer, checked to match, as one interleaved row map: expert e's
    /// gate rows, then its up rows (the layout `f32_moe_gate_up_swiglu` reads).
    private func gateUpSource(layer b: String, experts: Int) throws -> (map: RawRowMap, format: WeightFormat, cols: Int) {
        let gate = try raw(b + "ffn_gate_exps.weight")
        let up = try raw(b + "ffn_up_exps.weight")
        guard gate.format == up.format else {
            throw GPTOSSError.unsupportedTensorType(name: b + "ffn_up_exps.weight", found: up.format.description.uppercased(),
                                                    supported: [gate.format.description.uppercased() + " (the type of ffn_gate_exps)"])
        }
        let perExpert = gate.rows / experts
        let map = RawRowMap.interleaved([gate.tensor.pointer, up.tensor.pointer], rowsPerPart: perExpert, units: experts,
                                        rowBytes: gate.rowBytes, keeping: [gate.tensor, up.tensor])
        return (map, gate.format, gate.cols)
    }

    func gateUpExperts(layer b: String, experts: Int) throws -> GPUExperts {
        let source = try gateUpSource(layer: b, experts: experts)
        return try expertStack(source.map, format: source.format, cols: source.cols, experts: experts, label: b + "ffn_gate_up_exps")
    }

    func downExperts(layer b: String, experts: Int) throws -> GPUExperts {
        let down = try raw(b + "ffn_down_exps.weight")
        return try expertStack(down.rowMap, format: down.format, cols: down.cols, experts: experts, label: b + "ffn_down_exps")
    }

    private func expertStack(_ map: RawRowMap, format: WeightFormat, cols: Int, experts: Int, label: String) throws -> GPUExperts {
        let start = Date()
        let weights = try upload(map, format: format, cols: cols, label: label, rowsPerUnit: map.rows / experts)
        uploaded(label, bytes: weights.byteCount, format: format, shape: [cols, map.rows / experts, experts], since: start)
        return try GPUExperts(weights: weights, experts: experts)
    }

    func hostGateUpExperts(layer b: String, experts: Int) throws -> HostExperts {
        let source = try gateUpSource(layer: b, experts: experts)
        return hostStack(source.map, format: source.format, cols: source.cols, experts: experts)
    }

    func hostDownExperts(layer b: String, experts: Int) throws -> HostExperts {
        let down = try raw(b + "ffn_down_exps.weight")
        return hostStack(down.rowMap, format: down.format, cols: down.cols, experts: experts)
    }

    private func hostStack(_ map: RawRowMap, format: WeightFormat, cols: Int, experts: Int) -> HostExperts {
        let start = Date()
        let host = HostExperts(format: format, cols: cols, experts: experts, rowsPerExpert: map.rows / experts)
        RowRepacker.repack(format: format, cols: cols, source: map, rows: 0 ..< map.rows,
                           scales: host.scaleBytesPerExpert > 0 ? host.scales.baseAddress : nil, data: host.data.baseAddress!)
        timings.repackSeconds += Date().timeIntervalSince(start)
        return host
    }

    // MARK: - Vectors

    func floats(_ name: String) throws -> [Float] {
        let r = try raw(name)
        let start = Date()
        defer { timings.vectorSeconds += Date().timeIntervalSince(start) }
        return try withExtendedLifetime(r) {
            try GGMLBlocks.dequantize(raw: UnsafeRawBufferPointer(r.tensor.bytes), format: r.format, rows: r.rows,
                                      cols: r.cols, tensor: name)
        }
    }

    func vector(_ name: String) throws -> GPUBuffer {
        try vector(floats(name), label: name)
    }

    func vector(_ values: [Float], label: String) throws -> GPUBuffer {
        let start = Date()
        let buffer = try context.makeBuffer(array: values, label: label, usage: .staticData)
        timings.vectorSeconds += Date().timeIntervalSince(start)
        uploaded(label, bytes: buffer.byteCount, format: .f32, shape: [values.count], since: start)
        return buffer
    }

    func uploaded(_ label: String, bytes: Int, format: WeightFormat, shape: [Int], since start: Date) {
        uploadedBytes += bytes
        telemetry?.emit(.tensorUploaded(TensorTransfer(name: label, type: format.description, shape: shape, bytes: bytes,
                                                       ms: Date().timeIntervalSince(start) * 1000)))
        telemetry?.emit(.gpuMemory(GPUMemory(inUseBytes: context.memory.allocatedBytes,
                                             budgetBytes: context.limits.maxBufferSize,
                                             residentTensors: context.memory.bufferCount)))
    }
}
