// Fuzz target: the Harmony stream parser on arbitrary token streams. Each input byte picks a
// token: mostly control tokens and the words of headers (roles, channels, recipients), so the
// fuzzer reaches deep states, plus raw ids. The parser never traps; every completed message's
// content is exactly what its content events said; nothing is emitted after the stop.
import Foundation
import FuzzSupport
import Tokenizer

let tokenizer: BPETokenizer = {
    do { return try O200kVocabulary.bundled().makeTokenizer() } catch {
        fatalError("the bundled vocabulary (Assets/tokenizer) did not load: \(error); run from the repository root")
    }
}()
let control = try! HarmonyControlTokens(tokenizer: tokenizer)
let controlIDs = [control.start, control.end, control.message, control.channel, control.constrain, control.returnToken, control.call]
/// Ordinary tokens that headers and messages are made of.
let words: [Int] = ["assistant", "user", "system", "developer", "tool", "analysis", "final", "commentary",
                    " to=", "functions.get_weather", " json", "<|", "|>", " ", "\n", "é", "{\"a\":1}"]
    .flatMap { tokenizer.encode($0) }

/// Bytes → token ids: 0x00–0x3F a control token, 0x40–0x7F a header word, 0x80–0xFF the next
/// two bytes as a raw id (so out-of-vocabulary ids come too).
func tokens(_ input: [UInt8]) -> [Int] {
    var ids: [Int] = []
    var i = 0
    while i < input.count {
        let b = Int(input[i])
        switch b {
        case ..<0x40: ids.append(controlIDs[b % controlIDs.count]); i += 1
        case ..<0x80: ids.append(words[b % words.count]); i += 1
        default:
            let high = i + 1 < input.count ? Int(input[i + 1]) : 0
            let low = i + 2 < input.count ? Int(input[i + 2]) : 0
            ids.append(((b & 0x7F) << 16 | high << 8 | low) % (tokenizer.vocabularySize + 64))
            i += 3
        }
    }
    return ids
}

FuzzMain.run { input in
    guard var parser = try? HarmonyStreamParser(tokenizer: tokenizer, role: input.first.map { $0 & 1 == 0 ? "assistant" : nil } ?? nil) else {
        return fuzzRequire(false, "the parser did not start")
    }
    var contents: [String] = []   // content of each message, from the events
    var open = false
    var stopped = false
    func take(_ events: [HarmonyEvent]) {
        for event in events {
            switch event {
            case .messageStarted:
                fuzzRequire(!stopped, "a message started after the stop")
                contents.append(""); open = true
            case .content(let text, _):
                fuzzRequire(!stopped, "content after the stop")
                fuzzRequire(open, "content outside a message")
                contents[contents.count - 1] += text
            case .messageFinished(let message):
                fuzzRequire(open, "a message finished that never started")
                fuzzRequire(message.content == contents[contents.count - 1], "a message's content differs from its content events")
                open = false
            case .stopped:
                fuzzRequire(!stopped, "stopped twice")
                stopped = true
            default:
                break
            }
        }
    }
    for id in tokens(Array(input.dropFirst())) { take(parser.feed(id)) }
    take(parser.finish())
    fuzzRequire(parser.stopReason != nil, "no stop reason after finish")
    fuzzRequire(!open, "a message left open after finish")
    fuzzRequire(parser.messages.count == contents.count, "\(parser.messages.count) messages, \(contents.count) started")
    for (message, content) in zip(parser.messages, contents) {
        fuzzRequire(message.content == content, "a message's content differs from its content events")
    }
}
