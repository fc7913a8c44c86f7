import Foundation
import GPTOSS
import Hummingbird
import Tokenizer

/// An error answered in OpenAI's JSON shape, `{"error": {"message", "type", "param", "code"}}`,
/// with the HTTP status clients expect for it.
public struct APIError: Error, Equatable {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status; self.message = message; self.type = type; self.param = param; self.code = code
    }

    /// 400: a field is missing, of the wrong type or out of range. `param` names it.
    public static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public static func unauthorized() -> APIError {
        APIError(status: .unauthorized,
                 message: "Incorrect or missing API key. Send it as 'Authorization: Bearer KEY' (the server's --api-key).",
                 type: "invalid_request_error", code: "invalid_api_key")
    }

    public static func notFound(_ path: String) -> APIError {
        APIError(status: .notFound, message: "No route for \(path). Endpoints: POST /v1/chat/completions, POST /v1/completions, "
                 + "GET /v1/models, GET /health, GET /metrics.", type: "invalid_request_error", code: "not_found")
    }

    public static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "The request body is larger than \(limit) bytes.",
                 type: "invalid_request_error", code: "request_too_large")
    }

    /// The engine's refusals: 429 when the queue is full, 400 for an over-long prompt, 503 while stopping.
    public static func from(engine error: CompletionEngineError) -> APIError {
        switch error {
        case .queueFull:
            return APIError(status: .tooManyRequests, message: error.errorDescription ?? "queue full",
                            type: "rate_limit_error", code: "queue_full")
        case .contextLengthExceeded:
            return APIError(status: .badRequest, message: error.errorDescription ?? "context length exceeded",
                            type: "invalid_request_error", param: "messages", code: "context_length_exceeded")
        case .shuttingDown:
            return APIError(status: .serviceUnavailable, message: error.errorDescription ?? "shutting down",
                            type: "server_error", code: "shutting_down")
        }
    }

    /// Any error as an APIError: the server's own, the engine's, Hummingbird's (with its status), else 500.
    public static func from(_ error: Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as CompletionEngineError: return from(engine: error)
        case let error as GPTOSSError where isRequestError(error):
            return .invalid(error.errorDescription ?? "\(error)")
        case let error as HTTPResponseError:
            if error.status == .contentTooLarge {
                return APIError(status: .contentTooLarge, message: "The request body is too large.",
                                type: "invalid_request_error", code: "request_too_large")
            }
            return APIError(status: error.status, message: "\(error)", type: error.status.code < 500 ? "invalid_request_error" : "server_error")
        default:
            return APIError(status: .internalServerError, message: "Internal error: \(describe(error))", type: "server_error")
        }
    }

    private static func isRequestError(_ error: GPTOSSError) -> Bool {
        switch error {
        case .badSamplingParameter, .badSequence, .tokenOutOfRange: return true
        default: return false
        }
    }

    /// The JSON body.
    public var json: OrderedJSON {
        .object([.init("error", .object([
            .init("message", .string(message)),
            .init("type", .string(type)),
            .init("param", param.map(OrderedJSON.string) ?? .null),
            .init("code", code.map(OrderedJSON.string) ?? .null),
        ]))])
    }

    public var response: Response { JSONResponse.make(json, status: status) }
}

/// An error as one line.
func describe(_ error: Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? "\(error)"
}
