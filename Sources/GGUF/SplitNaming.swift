/// The naming rule of llama.cpp's gguf-split: `<prefix>-00001-of-00003.gguf` … `-00003-of-00003.gguf`.
/// Works on paths and URLs (a query string or fragment is kept as it is).
enum SplitNaming {
    /// The locations of all `count` parts, given any one of them; nil when the name does not follow the rule.
    static func partLocations(for location: String, count: Int) -> [String]? {
        var body = Substring(location)
        var tail = Substring("")
        if location.contains("://"), let cut = location.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            body = location[..<cut]
            tail = location[cut...]
        }
        let suffix = ".gguf"
        let numberWidth = 5
        // "-NNNNN-of-MMMMM.gguf"
        let patternLength = 1 + numberWidth + 4 + numberWidth + suffix.count
        guard body.hasSuffix(suffix), body.count > patternLength else { return nil }
        let pattern = body.suffix(patternLength)
        let chars = Array(pattern)
        guard chars[0] == "-", String(chars[6..<10]) == "-of-",
              chars[1..<6].allSatisfy(\.isASCIIDigit), chars[10..<15].allSatisfy(\.isASCIIDigit),
              Int(String(chars[10..<15])) == count else { return nil }
        let prefix = body.dropLast(patternLength)
        return (1...count).map { "\(prefix)-\(padded($0, numberWidth))-of-\(padded(count, numberWidth))\(suffix)\(tail)" }
    }

    private static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
