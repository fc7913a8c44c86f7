import NIOCore
import Tokenizer

/// Server-sent events as OpenAI streams them: each chunk is `data: {json}` and a blank line;
/// the stream ends with `data: [DONE]`.
enum ServerSentEvents {
    static func event(_ json: OrderedJSON) -> ByteBuffer {
        ByteBuffer(string: "data: " + json.serialized + "\n\n")
    }

    static let done = ByteBuffer(string: "data: [DONE]\n\n")
}
