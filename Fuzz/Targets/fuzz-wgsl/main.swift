// Fuzz target: the WGSL front end and writer (import linking → parse → resolve → validate →
// GLSL), through the public `WGSLTranslator` API the kernels use. Any text: either GLSL with
// reflection, or one WGSLDiagnostic whose message is one line pointing inside the source.
import FuzzSupport
import WGSL

FuzzMain.run { input in
    let source = String(decoding: input, as: UTF8.self)
    do {
        let output = try WGSLTranslator.translate(source: source, fileName: "fuzz.wgsl")
        fuzzRequire(output.glsl.hasPrefix("#version 310 es"), "GLSL without its version line")
    } catch let diagnostic as WGSLDiagnostic {
        fuzzRequire(!diagnostic.message.isEmpty && !diagnostic.message.contains("\n"),
                    "diagnostic message not one line: \(diagnostic.message.debugDescription)")
        fuzzRequire(diagnostic.line >= 1 && diagnostic.column >= 1, "diagnostic position \(diagnostic.line):\(diagnostic.column)")
        fuzzRequire(diagnostic.line <= source.utf8.filter { $0 == UInt8(ascii: "\n") }.count + 1,
                    "diagnostic line \(diagnostic.line) past the end of the source")
    } catch {
        fuzzRequire(false, "not a WGSLDiagnostic: \(error)")
    }
}
