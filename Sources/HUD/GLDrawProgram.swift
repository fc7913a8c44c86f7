import CGLES
import Foundation
import GLES

/// The HUD's shader programs. Every primitive is a quad of vertices carrying a position in
/// pixels (y down), a texture coordinate, a colour, a mode and three parameters. Quads are drawn
/// in order in runs of the same pass; each pass has its own program, because a software
/// rasteriser (llvmpipe) runs every branch of a shader for every pixel: one program with all
/// modes made each glyph pay for the ring's atan and the backdrop's grid.
final class GLDrawProgram {
    /// How a quad is filled.
    enum Mode: Float {
        /// The vertex colour.
        case solid = 0
        /// The vertex colour, alpha from the glyph atlas at `uv` (texels).
        case glyph = 1
        /// A ring segment: `uv` spans -1...1 over the quad, `params.x` is the inner radius
        /// (fraction of the outer), `params.y` the filled fraction of the turn from 12 o'clock.
        case ring = 2
        /// The backdrop: a dot grid and a vignette; `params.x` is the grid pitch in pixels.
        case backdrop = 3
        /// The CRT overlay: scanlines every `params.x` pixels and a sweep at row `params.y`.
        case scanlines = 4

        var pass: Pass {
            switch self {
            case .solid, .glyph: return .flat
            case .ring: return .ring
            case .backdrop: return .backdrop
            case .scanlines: return .scanlines
            }
        }
    }

    /// One program each; solid and glyph share one since both are cheap.
    enum Pass: CaseIterable {
        case flat, ring, backdrop, scanlines

        var fragmentBody: String {
            switch self {
            case .flat:
                return """
                    if (v_mode == 1) { color.a *= texelFetch(u_atlas, ivec2(v_uv), 0).r; }
                """
            case .ring:
                return """
                    float radius = length(v_uv);
                    float edge = fwidth(radius);
                    float inside = smoothstep(1.0, 1.0 - edge, radius) * smoothstep(v_params.x - edge, v_params.x, radius);
                    float turn = fract(atan(v_uv.x, -v_uv.y) / TAU + 1.0);
                    color.a *= inside * step(turn, v_params.y);
                """
            case .backdrop:
                return """
                    vec2 cell = mod(pixel, v_params.x);
                    float grid = step(cell.x, 1.0) * step(cell.y, 1.0);
                    vec2 centered = pixel / u_screen - 0.5;
                    float vignette = 1.0 - dot(centered, centered) * 1.2;
                    color = vec4(color.rgb * vignette + vec3(0.06, 0.16, 0.2) * grid, 1.0);
                """
            case .scanlines:
                return """
                    float line = step(v_params.x - 1.0, mod(pixel.y, v_params.x));
                    float sweep = exp(-abs(pixel.y - v_params.y) / 40.0);
                    color = mix(vec4(0.0, 0.0, 0.0, 0.22 * line), vec4(0.4, 0.9, 1.0, 0.05), sweep);
                """
            }
        }
    }

    /// Floats per vertex: position 2, uv 2, colour 4, mode 1, params 3.
    static let floatsPerVertex = 12

    private let program: RenderProgram
    private let screenSizeLocation: GLint
    private let atlasLocation: GLint

    init(context: GLContext, pass: Pass) throws {
        program = try context.makeRenderProgram(name: "hud-\(pass)", vertex: Self.vertexSource,
                                                fragment: Self.fragmentSource(pass))
        screenSizeLocation = program.uniformLocation("u_screen") ?? -1
        atlasLocation = program.uniformLocation("u_atlas") ?? -1
    }

    func use(width: Int, height: Int, atlasUnit: GLint) throws {
        try program.use()
        glUniform2f(screenSizeLocation, GLfloat(width), GLfloat(height))
        if atlasLocation >= 0 { glUniform1i(atlasLocation, atlasUnit) }
    }

    // Pixel space has y down; the vertex shader flips it into GL's y-up clip space, so the
    // image is upright for OffscreenTarget.readPixels. Fragment code works in y-down pixels.
    private static let vertexSource = """
    #version 300 es
    precision highp float;
    uniform vec2 u_screen;
    layout(location = 0) in vec2 a_position;
    layout(location = 1) in vec2 a_uv;
    layout(location = 2) in vec4 a_color;
    layout(location = 3) in float a_mode;
    layout(location = 4) in vec3 a_params;
    out vec2 v_uv;
    out vec4 v_color;
    flat out int v_mode;
    out vec3 v_params;
    void main() {
        v_uv = a_uv;
        v_color = a_color;
        v_mode = int(a_mode + 0.5);
        v_params = a_params;
        gl_Position = vec4(a_position.x / u_screen.x * 2.0 - 1.0, 1.0 - a_position.y / u_screen.y * 2.0, 0.0, 1.0);
    }
    """

    private static func fragmentSource(_ pass: Pass) -> String {
        """
        #version 300 es
        precision highp float;
        uniform vec2 u_screen;
        uniform sampler2D u_atlas;
        in vec2 v_uv;
        in vec4 v_color;
        flat in int v_mode;
        in vec3 v_params;
        out vec4 o_color;
        const float TAU = 6.28318530718;
        void main() {
            vec2 pixel = vec2(gl_FragCoord.x, u_screen.y - gl_FragCoord.y);
            vec4 color = v_color;
        \(pass.fragmentBody)
            o_color = color;
        }
        """
    }
}
