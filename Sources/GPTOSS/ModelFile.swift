import GGUF

extension GGUFFile: ModelMetadata {
    public func integerValue(_ key: String) -> Int? { int(key) }
    public func realValue(_ key: String) -> Double? { double(key) }
    public func stringValue(_ key: String) -> String? { string(key) }
}

/// A GGUF file checked to be a GPT-OSS model this engine can run: its config read from the
/// metadata and every tensor's name, shape and type checked against `TensorTable` before any
/// weight is read.
public struct ModelFile: @unchecked Sendable {
    public let file: GGUFFile
    public let config: ModelConfig
    public let table: TensorTable

    /// Opens a path or http(s) URL and checks it.
    public init(location: String, options: GGUFOpenOptions = GGUFOpenOptions()) throws {
        try self.init(file: GGUFFile.open(location, options: options))
    }

    public init(file: GGUFFile) throws {
        self.file = file
        guard let embedding = file.tensor(named: "token_embd.weight") else {
            if file.string("general.architecture") != ModelConfig.architecture {
                throw GPTOSSError.wrongArchitecture(found: file.string("general.architecture").map(TerminalText.escaped))
            }
            throw GPTOSSError.missingTensor(name: "token_embd.weight")
        }
        guard embedding.dimensions.count == 2, let vocabulary = Int(exactly: embedding.dimensions[1]) else {
            throw GPTOSSError.wrongTensorShape(name: embedding.name, expected: [-1, -1],
                                               found: embedding.dimensions.map { Int(clamping: $0) })
        }
        config = try ModelConfig(metadata: file, vocabularySize: vocabulary)
        try Self.checkAgreesWithTensors(config, file)
        table = TensorTable(config: config)
        try table.verify { name in
            file.tensor(named: name).map { (dimensions: $0.dimensions.map { Int(clamping: $0) }, type: $0.type) }
        }
    }

    /// Metadata that contradicts the tensors is refused before anything is sized by it: a layer
    /// count the tensors cannot hold (checked before the tensor table, which has an entry per
    /// layer), a tensor of a layer past `block_count`, a vocabulary whose token count is not the
    /// embedding's row count. (`output.weight` rows are checked against the same count by the
    /// table.)
    static func checkAgreesWithTensors(_ config: ModelConfig, _ file: GGUFFile) throws {
        let blockCountKey = "\(ModelConfig.architecture).block_count"
        let possibleLayers = file.tensors.count / TensorTable.tensorsPerLayer
        guard config.blockCount <= possibleLayers else {
            throw GPTOSSError.badMetadata(key: blockCountKey, problem:
                "is \(config.blockCount), but the file's \(file.tensors.count) tensors hold at most \(possibleLayers) layers of \(TensorTable.tensorsPerLayer)")
        }
        for tensor in file.tensors {
            guard let layer = TensorTable.layerIndex(of: tensor.name) else { continue }
            guard layer < config.blockCount else {
                throw GPTOSSError.badMetadata(key: blockCountKey, problem:
                    "is \(config.blockCount), but the file holds tensor '\(TerminalText.escaped(tensor.name))' of layer \(layer)")
            }
        }
        let tokensKey = "tokenizer.ggml.tokens"
        if let tokens = file.array(tokensKey), tokens.count != config.vocabularySize {
            throw GPTOSSError.badMetadata(key: tokensKey, problem:
                "lists \(tokens.count) tokens but token_embd.weight has \(config.vocabularySize) rows; the vocabulary and the weights must come from the same model")
        }
    }

    /// The tensor's info; the table has already checked that it exists.
    public func info(_ name: String) throws -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else { throw GPTOSSError.missingTensor(name: name) }
        return info
    }
}
