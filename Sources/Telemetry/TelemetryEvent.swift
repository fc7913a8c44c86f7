// A telemetry event: a payload stamped with the run's clock. In JSON an event is one flat object,
// `{"t": 1.25, "event": "tensor_fetched", "name": ..., ...}`: the payload's fields sit beside the
// time and the type tag, so a log is easy to read with jq or Python.

/// Every kind of thing a run reports.
public enum TelemetryPayload: Sendable, Equatable {
    case session(SessionInfo)
    case loadPlan(LoadPlan)
    case stage(StageChange)
    case tensorFetched(TensorTransfer)
    case tensorUploaded(TensorTransfer)
    case gpuAllocation(GPUAllocation)
    case gpuMemory(GPUMemory)
    case limits(DeviceLimits)
    case kernelMode(KernelMode)
    case expertCache(ExpertCacheStats)
    case router(RouterChoice)
    case token(TokenSample)
    case throughput(Throughput)
    case kvCache(KVCacheUse)
    case attention(AttentionSummary)
    case error(ErrorReport)
    case note(Note)
    case speculation(SpeculationStep)
    case sequence(SequenceUpdate)
    case sessions(SessionTable)

    /// The tag written as `"event"` in JSON. (Not `"type"`: a tensor has a field of that name.)
    public var typeName: String {
        switch self {
        case .session: return "session"
        case .loadPlan: return "load_plan"
        case .stage: return "stage"
        case .tensorFetched: return "tensor_fetched"
        case .tensorUploaded: return "tensor_uploaded"
        case .gpuAllocation: return "gpu_allocation"
        case .gpuMemory: return "gpu_memory"
        case .limits: return "limits"
        case .kernelMode: return "kernel_mode"
        case .expertCache: return "expert_cache"
        case .router: return "router"
        case .token: return "token"
        case .throughput: return "throughput"
        case .kvCache: return "kv_cache"
        case .attention: return "attention"
        case .error: return "error"
        case .note: return "note"
        case .speculation: return "speculation"
        case .sequence: return "sequence"
        case .sessions: return "sessions"
        }
    }

    static let allTypeNames = [
        "session", "load_plan", "stage", "tensor_fetched", "tensor_uploaded", "gpu_allocation",
        "gpu_memory", "limits", "kernel_mode", "expert_cache", "router", "token", "throughput",
        "kv_cache", "attention", "error", "note", "speculation", "sequence", "sessions",
    ]
}

/// A payload and when it happened, in seconds since the run started (monotonic clock).
public struct TelemetryEvent: Sendable, Equatable {
    public var time: Double
    public var payload: TelemetryPayload

    public init(time: Double, _ payload: TelemetryPayload) {
        self.time = time
        self.payload = payload
    }
}

extension TelemetryEvent: Codable {
    private enum HeaderKeys: String, CodingKey {
        case time = "t"
        case type = "event"
    }

    public init(from decoder: Decoder) throws {
        let header = try decoder.container(keyedBy: HeaderKeys.self)
        time = try header.decode(Double.self, forKey: .time)
        let type = try header.decode(String.self, forKey: .type)
        switch type {
        case "session": payload = .session(try SessionInfo(from: decoder))
        case "load_plan": payload = .loadPlan(try LoadPlan(from: decoder))
        case "stage": payload = .stage(try StageChange(from: decoder))
        case "tensor_fetched": payload = .tensorFetched(try TensorTransfer(from: decoder))
        case "tensor_uploaded": payload = .tensorUploaded(try TensorTransfer(from: decoder))
        case "gpu_allocation": payload = .gpuAllocation(try GPUAllocation(from: decoder))
        case "gpu_memory": payload = .gpuMemory(try GPUMemory(from: decoder))
        case "limits": payload = .limits(try DeviceLimits(from: decoder))
        case "kernel_mode": payload = .kernelMode(try KernelMode(from: decoder))
        case "expert_cache": payload = .expertCache(try ExpertCacheStats(from: decoder))
        case "router": payload = .router(try RouterChoice(from: decoder))
        case "token": payload = .token(try TokenSample(from: decoder))
        case "throughput": payload = .throughput(try Throughput(from: decoder))
        case "kv_cache": payload = .kvCache(try KVCacheUse(from: decoder))
        case "attention": payload = .attention(try AttentionSummary(from: decoder))
        case "error": payload = .error(try ErrorReport(from: decoder))
        case "note": payload = .note(try Note(from: decoder))
        case "speculation": payload = .speculation(try SpeculationStep(from: decoder))
        case "sequence": payload = .sequence(try SequenceUpdate(from: decoder))
        case "sessions": payload = .sessions(try SessionTable(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: header,
                debugDescription: "unknown event type \"\(type)\" (known: \(TelemetryPayload.allTypeNames.joined(separator: ", ")))")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var header = encoder.container(keyedBy: HeaderKeys.self)
        try header.encode(time, forKey: .time)
        try header.encode(payload.typeName, forKey: .type)
        switch payload {
        case .session(let value): try value.encode(to: encoder)
        case .loadPlan(let value): try value.encode(to: encoder)
        case .stage(let value): try value.encode(to: encoder)
        case .tensorFetched(let value): try value.encode(to: encoder)
        case .tensorUploaded(let value): try value.encode(to: encoder)
        case .gpuAllocation(let value): try value.encode(to: encoder)
        case .gpuMemory(let value): try value.encode(to: encoder)
        case .limits(let value): try value.encode(to: encoder)
        case .kernelMode(let value): try value.encode(to: encoder)
        case .expertCache(let value): try value.encode(to: encoder)
        case .router(let value): try value.encode(to: encoder)
        case .token(let value): try value.encode(to: encoder)
        case .throughput(let value): try value.encode(to: encoder)
        case .kvCache(let value): try value.encode(to: encoder)
        case .attention(let value): try value.encode(to: encoder)
        case .error(let value): try value.encode(to: encoder)
        case .note(let value): try value.encode(to: encoder)
        case .speculation(let value): try value.encode(to: encoder)
        case .sequence(let value): try value.encode(to: encoder)
        case .sessions(let value): try value.encode(to: encoder)
        }
    }
}
