import Hummingbird
import NIOCore
import Tokenizer

/// JSON responses, written from `OrderedJSON` so members appear in the order OpenAI's do.
enum JSONResponse {
    static func make(_ json: OrderedJSON, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer(string: json.serialized)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}

/// Shorthands for building responses.
extension OrderedJSON {
    static func int(_ value: Int) -> OrderedJSON { .number(String(value)) }
    static func optionalString(_ value: String?) -> OrderedJSON { value.map(OrderedJSON.string) ?? .null }
}
