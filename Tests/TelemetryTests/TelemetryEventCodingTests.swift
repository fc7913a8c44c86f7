import XCTest
@testable import Telemetry

/// One event of every type, with values that exercise optional fields, Unicode and floats.
enum SampleEvents {
    static let all: [TelemetryEvent] = [
        TelemetryEvent(time: 0, .session(SessionInfo(tool: "gptoss-gl 0.1", model: "gpt-oss-20b", source: "/m/20b.gguf"))),
        TelemetryEvent(time: 0.001, .stage(StageChange(stage: .ggufParse, status: .started))),
        TelemetryEvent(time: 0.0125, .loadPlan(LoadPlan(tensorCount: 459, totalBytes: 12_109_566_560, architecture: "gpt-oss", layers: 24, experts: 32))),
        TelemetryEvent(time: 0.013, .stage(StageChange(stage: .ggufParse, status: .completed, bytes: 9_123_456, durationMs: 12.25))),
        TelemetryEvent(time: 0.5, .tensorFetched(TensorTransfer(name: "blk.0.ffn_gate_exps.weight", type: "mxfp4", shape: [2880, 2880, 32], bytes: 140_968_448, ms: 37.5))),
        TelemetryEvent(time: 0.6, .tensorUploaded(TensorTransfer(name: "blk.0.ffn_gate_exps.weight", type: "mxfp4", shape: [2880, 2880, 32], bytes: 140_968_448, ms: 9.75))),
        TelemetryEvent(time: 0.61, .gpuAllocation(GPUAllocation(label: "blk.0.ffn_gate_exps.weight", bytes: 140_968_448))),
        TelemetryEvent(time: 0.62, .gpuMemory(GPUMemory(inUseBytes: 140_968_448, budgetBytes: nil, residentTensors: 1))),
        TelemetryEvent(time: 0.7, .limits(DeviceLimits(renderer: "llvmpipe (LLVM 15.0.6, 256 bits)", version: "OpenGL ES 3.2 Mesa 22.3.6",
                                                    entries: [.init(key: LimitKey.maxStorageBlockBytes, value: "134217728"), .init(key: LimitKey.f16, value: "no")]))),
        TelemetryEvent(time: 0.8, .kernelMode(KernelMode(op: KernelOp.sampling, detail: "f32_logits_reduce[WG_SIZE=128]"))),
        TelemetryEvent(time: 1.0, .expertCache(ExpertCacheStats(hits: 12, misses: 3))),
        TelemetryEvent(time: 1.1, .router(RouterChoice(layer: 3, experts: [7, 1, 30, 12], weights: [0.4, 0.3, 0.2, 0.1]))),
        TelemetryEvent(time: 1.2, .token(TokenSample(position: 17, id: 200005, text: "<|channel|> é\n\"", channel: .analysis,
                                                    top: [.init(id: 200005, text: "<|channel|>", probability: 0.9132),
                                                          .init(id: 12, text: "-", probability: 1e-7)], entropy: .nan))),
        TelemetryEvent(time: 1.3, .throughput(Throughput(stage: .decode, tokens: 32, tokensPerSecond: 18.75))),
        TelemetryEvent(time: 1.4, .kvCache(KVCacheUse(usedTokens: 49, capacityTokens: 4096, bytes: 1_048_576))),
        TelemetryEvent(time: 1.5, .attention(AttentionSummary(layer: 23, heads: 2, positions: [46, 47, 48], weights: [0.1, 0.2, 0.7, 0.5, 0.25, 0.25]))),
        TelemetryEvent(time: 1.6, .error(ErrorReport(message: "out of GPU memory uploading blk.9.ffn_up_exps.weight", stage: .gpuUpload))),
        TelemetryEvent(time: 1.7, .note(Note(message: "prompt: 42 tokens"))),
        TelemetryEvent(time: 1.8, .speculation(SpeculationStep(position: 50, drafted: 4, accepted: 3))),
        TelemetryEvent(time: 1.9, .token(TokenSample(position: 51, id: 9, text: "a", channel: .final, top: [], entropy: 0.5,
                                                    drafted: true, sequence: 3))),
        TelemetryEvent(time: 2.0, .sequence(SequenceUpdate(sequence: 3, slot: 0, state: .finished, promptTokens: 58,
                                                           generatedTokens: 20, tokensPerSecond: 6.5, kvUsedTokens: 78,
                                                           reason: "max_tokens"))),
        TelemetryEvent(time: 2.1, .sessions(SessionTable(
            rows: [.init(sequence: 3, slot: 0, promptTokens: 12, tokens: 40, tokensPerSecond: 21.5, kvUsedTokens: 52, state: .decode),
                   .init(sequence: 4, slot: 1, promptTokens: 300, tokens: 0, tokensPerSecond: 0, kvUsedTokens: 128, state: .prefill),
                   .init(sequence: 5, slot: nil, promptTokens: 7, tokens: 0, tokensPerSecond: 0, kvUsedTokens: 0, state: .queued)],
            queued: 1, slots: 2, contextPerSequence: 2048, tokensPerSecond: 38.25))),
    ]
}

final class TelemetryEventCodingTests: XCTestCase {
    func testEverySampleCoversEveryEventType() {
        XCTAssertEqual(Set(SampleEvents.all.map(\.payload.typeName)), Set(TelemetryPayload.allTypeNames))
    }

    func testEventsEncodeAsFlatObjectsWithTimeAndType() throws {
        let data = try TelemetryJSON.makeEncoder().encode(SampleEvents.all[4])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["t"] as? Double, 0.5)
        XCTAssertEqual(object["event"] as? String, "tensor_fetched")
        XCTAssertEqual(object["name"] as? String, "blk.0.ffn_gate_exps.weight")
        XCTAssertEqual(object["shape"] as? [Int], [2880, 2880, 32])
        XCTAssertEqual(object["type"] as? String, "mxfp4")
    }

    /// Logs from before the CPU placement went away carry a `placement` field: they still replay.
    func testKernelModeOfOlderLogsStillDecodes() throws {
        let line = Data(#"{"t":0.1,"event":"kernel_mode","op":"sampling","placement":"cpu","detail":"x"}"#.utf8)
        let events = try JSONLReplayer.decode(line, path: "old.jsonl")
        XCTAssertEqual(events.map(\.payload), [.kernelMode(KernelMode(op: KernelOp.sampling, detail: "x"))])
    }

    func testUnknownTypeIsRejectedWithTheKnownTypes() {
        let line = Data(#"{"t":1,"event":"warp_drive"}"#.utf8)
        XCTAssertThrowsError(try JSONLReplayer.decode(line, path: "run.jsonl")) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains("run.jsonl:1"), message)
            XCTAssertTrue(message.contains("warp_drive"), message)
            XCTAssertTrue(message.contains("tensor_fetched"), message)
        }
    }

    func testMissingFieldNamesTheFieldAndLine() {
        let lines = Data("{\"t\":0,\"event\":\"note\",\"message\":\"hi\"}\n\n{\"t\":1,\"event\":\"tensor_fetched\",\"name\":\"x\"}\n".utf8)
        XCTAssertThrowsError(try JSONLReplayer.decode(lines, path: "run.jsonl")) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(message.hasPrefix("run.jsonl:3:"), message)
            XCTAssertTrue(message.contains("missing field"), message)
        }
    }
}
