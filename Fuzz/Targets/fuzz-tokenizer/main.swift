// Fuzz target: the o200k tokenizer. Any bytes encode to ids of ordinary tokens (text that looks
// like a control token, "<|start|>", stays text) that decode to the same bytes, in one call and
// token by token through the streaming decoder.
import Foundation
import FuzzSupport
import Tokenizer

let tokenizer: BPETokenizer = {
    do { return try O200kVocabulary.bundled().makeTokenizer() } catch {
        fatalError("the bundled vocabulary (Assets/tokenizer) did not load: \(error); run from the repository root")
    }
}()

FuzzMain.run { input in
    let ids = input.withUnsafeBufferPointer { tokenizer.encode(utf8: $0) }
    for id in ids {
        fuzzRequire(id >= 0 && id < tokenizer.vocabularySize, "id \(id) outside the vocabulary")
        fuzzRequire(!tokenizer.isControl(id), "text became control token \(id)")
    }
    let decoded: [UInt8]
    do { decoded = try tokenizer.decodeBytes(ids) } catch { return fuzzRequire(false, "ids from encode do not decode: \(error)") }
    fuzzRequire(decoded == input, "bytes → ids → bytes changed the input (\(input.count) bytes → \(ids.count) ids → \(decoded.count) bytes)")

    // Streaming: pieces decoded one id at a time join to the whole text.
    var stream = StreamingDecoder(tokenizer: tokenizer)
    var text = ""
    for id in ids {
        do { text += try stream.append(id) } catch { return fuzzRequire(false, "the streaming decoder refused id \(id): \(error)") }
    }
    text += stream.finish()
    fuzzRequire(text == String(decoding: input, as: UTF8.self), "streamed text differs from the decoded text")
}
