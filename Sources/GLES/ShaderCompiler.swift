import CGLES
import Foundation

/// Compiles and links GLSL ES shaders; failures name the shader and quote the source around
/// the lines the driver's log points at.
enum ShaderCompiler {
    static func compile(stage: Int32, stageName: String, source: String, name: String) throws -> GLuint {
        let shader = glCreateShader(gl(stage))
        guard shader != 0 else { throw GLESError.glError(operation: "glCreateShader for '\(name)'", code: takeGLError().map(glErrorName) ?? "0") }
        source.withCString { pointer in
            var sources: [UnsafePointer<GLchar>?] = [pointer]
            glShaderSource(shader, 1, &sources, nil)
        }
        glCompileShader(shader)
        var status: GLint = 0
        glGetShaderiv(shader, gl(GL_COMPILE_STATUS), &status)
        if status == GL_FALSE {
            let log = infoLog(shader, isProgram: false)
            glDeleteShader(shader)
            throw GLESError.compileFailed(shader: name, stage: stageName, log: log, excerpt: sourceExcerpt(source, log: log))
        }
        return shader
    }

    static func link(name: String, shaders: [GLuint], retrievable: Bool = false) throws -> GLuint {
        let program = glCreateProgram()
        for shader in shaders { glAttachShader(program, shader) }
        // Without the hint a driver may keep no binary to hand back (GLES 3.0 §7.5).
        if retrievable { glProgramParameteri(program, gl(GL_PROGRAM_BINARY_RETRIEVABLE_HINT), GL_TRUE) }
        glLinkProgram(program)
        for shader in shaders {
            glDetachShader(program, shader)
            glDeleteShader(shader)
        }
        var status: GLint = 0
        glGetProgramiv(program, gl(GL_LINK_STATUS), &status)
        if status == GL_FALSE {
            let log = infoLog(program, isProgram: true)
            glDeleteProgram(program)
            throw GLESError.linkFailed(shader: name, log: log)
        }
        return program
    }

    static func infoLog(_ object: GLuint, isProgram: Bool) -> String {
        var length: GLint = 0
        if isProgram { glGetProgramiv(object, gl(GL_INFO_LOG_LENGTH), &length) } else { glGetShaderiv(object, gl(GL_INFO_LOG_LENGTH), &length) }
        guard length > 1 else { return "(the driver gave no log)" }
        var buffer = [GLchar](repeating: 0, count: Int(length))
        if isProgram { glGetProgramInfoLog(object, length, nil, &buffer) } else { glGetShaderInfoLog(object, length, nil, &buffer) }
        return String(cString: buffer)
    }

    /// Line numbers named in a compiler log. Drivers write them differently:
    /// Mesa "0:12(5): error", NVIDIA "0(12) : error", glslang/ANGLE "ERROR: 0:12: ".
    static func errorLines(in log: String) -> [Int] {
        let patterns = [#"\b\d+:(\d+)\(\d+\)"#, #"\b\d+\((\d+)\)\s*:"#, #"\b\d+:(\d+):"#]
        var lines: [Int] = []
        for line in log.split(separator: "\n").map(String.init) {
            for pattern in patterns {
                guard let regex = try? NSRegularExpression(pattern: pattern),
                      let match = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
                      let range = Range(match.range(at: 1), in: line), let number = Int(line[range]) else { continue }
                if !lines.contains(number) { lines.append(number) }
                break
            }
        }
        return lines
    }

    /// The source with line numbers: two lines either side of each failing line (marked '>'),
    /// or the first 60 lines when the log names none.
    static func sourceExcerpt(_ source: String, log: String) -> String {
        let sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let failing = Set(errorLines(in: log).prefix(8))
        var shown: [Int] = []
        if failing.isEmpty {
            shown = Array(1...max(1, min(sourceLines.count, 60)))
        } else {
            for line in failing.sorted() {
                for number in max(1, line - 2)...max(1, min(sourceLines.count, line + 2)) where !shown.contains(number) {
                    shown.append(number)
                }
            }
        }
        var text = ""
        var previous = 0
        for number in shown where number <= sourceLines.count {
            if previous != 0 && number != previous + 1 { text += "     ...\n" }
            let marker = failing.contains(number) ? ">" : " "
            text += String(format: "%@%4d | ", marker, number) + sourceLines[number - 1] + "\n"
            previous = number
        }
        return text
    }
}

