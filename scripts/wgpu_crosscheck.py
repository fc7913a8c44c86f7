#!/usr/bin/env python3
"""Runs every kernel in Shaders/wgsl through a real WebGPU implementation and through our GLSL.

Two checks per kernel:

1. WebGPU validity: the WGSL becomes a wgpu shader module and a compute pipeline (PyPI `wgpu`,
   i.e. wgpu-native with naga). A kernel that only our translator accepts fails here.
2. Same numbers: the kernel runs on wgpu and, from the committed Shaders/glsl/<name>.comp, on
   GLES through EGL (Mesa llvmpipe here, via ctypes), on identical seeded inputs built from the
   reflection JSON (parameter-struct members get small positive integers or floats, arrays get
   random data; MAIN_PARAMS and INPUT_BUILDERS give the kernels that would otherwise find no
   work consistent values), with a fixed dispatch. Every read_write buffer must agree: integers
   exactly, floats within a relative tolerance, and the kernel must have written something.
   Differences show semantics the translator got wrong (or a kernel reading workgroup memory
   before writing it: WebGPU zero-fills it, we do not).

Usage (from the repository root):
    XDG_RUNTIME_DIR=/tmp/xdg python3 scripts/wgpu_crosscheck.py [--validate-only] [kernel ...]

Kernels with `enable subgroups;` keep their subgroup code behind `if (SUBGROUPS == 1u)` (an
override whose default is 0; our translator turns that `if` into `#if`). naga 0.32 does not
implement the `enable subgroups` directive (it accepts subgroup builtins when the device has the
"subgroup" feature), so the directive is dropped from the source given to wgpu; on an adapter
without that feature (wgpu's GL backend on llvmpipe here) the SUBGROUPS == 1 branches are dropped
too, and such kernels are checked with their default SUBGROUPS = 0 path.

3. Subgroup paths: where some adapter has the "subgroup" feature (Mesa's lavapipe Vulkan driver,
   Debian package mesa-vulkan-drivers, on this machine: subgroups of 8), every kernel with a
   SUBGROUPS override runs on it with SUBGROUPS = 1 and THREADS_PER_ROW = the subgroup size, and
   must agree with our GLSL's shared-memory path (SUBGROUPS = 0) at the same THREADS_PER_ROW on
   GLES, on inputs sized so that every lane has work. The first two checks use wgpu's OpenGL
   adapter when there is one (the one they were written against), whatever else is installed.

Kernels import shared helpers from modules under Shaders/wgsl/lib (docs/wgsl.md, "Imports"),
which WebGPU does not know: wgpu gets the flattened WGSL that `gptoss-gl translate --flatten`
prints (the same text our translator parses). The binary is $GPTOSS_GL, else the newer of
.build/debug/gptoss-gl and .build/release/gptoss-gl (build one first).

Exit status 0 when everything agrees. Versions used: wgpu 0.32 (PyPI), Mesa 22.3 llvmpipe.
"""
import argparse
import ctypes
import json
import os
import pathlib
import random
import re
import struct
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
WGSL_DIR = ROOT / "Shaders" / "wgsl"
GLSL_DIR = ROOT / "Shaders" / "glsl"
RUNTIME_ELEMENTS = 8192          # elements given to each runtime-sized array
ROW_STRIDE = 512                 # value of every `*stride` parameter: rows never overlap
GROUPS = (2, 2, 1)               # the dispatch used on both sides
# Kernels whose dispatch is (n, 1, 1) by contract: they ignore workgroup_id.y, so a second row
# of workgroups would redo the same rows. Where those rows are read-modify-write (f32_linear's
# accumulate, the residual add of f32_out_router_decode) the two copies race, and how many of
# the adds land is up to each driver's scheduler: CI once saw wgpu apply both and our GLSL one.
SINGLE_ROW_DISPATCH = {"f32_linear", "f32_out_router_decode"}
# Kernels whose grid follows from their MAIN_PARAMS: the phase hand-off probe runs its three
# phases of two workgroups by ticket in one launch of six.
KERNEL_GRID = {"f32_phase_handoff": (6, 1, 1)}

FLOAT_TOLERANCE = 1e-4
ATTEMPTS = 6                     # seeds tried per kernel until it writes something


def dispatch_for(name):
    """The workgroup grid kernel `name` is run with on both sides."""
    if name in KERNEL_GRID:
        return KERNEL_GRID[name]
    return (GROUPS[0], 1, 1) if name in SINGLE_ROW_DISPATCH else GROUPS


# ----------------------------------------------------------------------------- sources

def translator():
    """The gptoss-gl binary that flattens imports (see the module docstring)."""
    if os.environ.get("GPTOSS_GL"):
        return os.environ["GPTOSS_GL"]
    built = [ROOT / ".build" / kind / "gptoss-gl" for kind in ("debug", "release")]
    built = [path for path in built if path.exists()]
    if not built:
        sys.exit("error: no gptoss-gl binary: run `swift build` (or set GPTOSS_GL) first")
    return str(max(built, key=lambda path: path.stat().st_mtime))


def kernel_wgsl(name):
    """The WGSL of kernel `name` with its imports resolved: plain WGSL for WebGPU."""
    path = WGSL_DIR / (name + ".wgsl")
    result = subprocess.run([translator(), "translate", "--flatten", str(path)], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("gptoss-gl translate --flatten %s failed:\n%s" % (path, result.stderr))
    return result.stdout


# ----------------------------------------------------------------------------- inputs

def leaf_scalar(type_name):
    """The scalar at the bottom of a WGSL type spelling: 'array<vec4<u32>>' -> 'u32'."""
    for scalar in ("f32", "u32", "i32", "f16"):
        if scalar in type_name:
            return scalar
    return "u32"


def binding_bytes(binding, rng, increasing=False, fixed=None):
    """Seeded contents for one binding, shaped by its reflected layout; `fixed` gives chosen
    values to named parameter-struct members."""
    layout = binding.get("layout")
    stride = binding.get("runtimeArrayStride")
    total = binding["size"] + (stride * RUNTIME_ELEMENTS if stride else 0)
    total = max(16, (total + 15) // 16 * 16)
    words = [0] * (total // 4)
    if layout and binding.get("structName"):
        # A parameter struct: every integer member gets the same small value (or, when
        # `increasing`, that value plus the member's position), which keeps loops short, indices
        # in range and quotients of two members (heads / kv_heads) non-zero.
        # (Integer division by zero is where wgpu's GL backend departs from WGSL, which defines
        # x / 0 == x and our translator follows; random members would trip over that.)
        integer_value = rng.randint(2, 6)
        for position, member in enumerate(layout["members"]):
            count = max(1, member["size"] // 4)
            for k in range(count):
                index = member["offset"] // 4 + k
                if index >= len(words):
                    break
                scalar = leaf_scalar(member["type"])
                if scalar == "f32":
                    words[index] = struct.unpack("<I", struct.pack("<f", rng.uniform(0.5, 1.5)))[0]
                elif "stride" in member["name"]:
                    # A row stride below the row's width makes different workgroups write the
                    # same words, and which write lands last is up to the scheduler on either
                    # side (a seed once gave out_stride 6 < HEAD_DIM and a spurious mismatch).
                    words[index] = ROW_STRIDE
                else:
                    words[index] = integer_value + (position if increasing else 0)
                if fixed and member["name"] in fixed:
                    words[index] = fixed[member["name"]]
        start = binding["size"] // 4
    else:
        start = 0
    scalar = leaf_scalar(binding["type"])
    for index in range(start, len(words)):
        if scalar == "f32":
            words[index] = struct.unpack("<I", struct.pack("<f", rng.uniform(-1.0, 1.0)))[0]
        elif "vec" in binding["type"]:
            words[index] = rng.getrandbits(32)      # packed weight words: any bit pattern
        else:
            words[index] = rng.randint(0, 15)       # indices and counts: small
    return struct.pack("<%dI" % len(words), *words)


# ----------------------------------------------------------------------------- WebGPU side

SUBGROUP_BRANCH = re.compile(r"\bif \(SUBGROUPS == 1u\) \{")


def closing_brace(source, open_index):
    """The index of the brace that closes the one at `open_index`."""
    depth = 0
    for index in range(open_index, len(source)):
        if source[index] == "{":
            depth += 1
        elif source[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced braces after offset %d" % open_index)


def without_subgroup_branches(source):
    """`source` with every `if (SUBGROUPS == 1u) { A } else { B }` replaced by `{ B }` (by
    nothing without an else): the SUBGROUPS = 0 specialisation, for a device without subgroups."""
    while True:
        match = SUBGROUP_BRANCH.search(source)
        if not match:
            break
        then_end = closing_brace(source, match.end() - 1)
        rest = source[then_end + 1:]
        otherwise = re.match(r"\s*else\s*\{", rest)
        if otherwise:
            else_open = then_end + 1 + otherwise.end() - 1
            else_end = closing_brace(source, else_open)
            source = source[:match.start()] + source[else_open:else_end + 1] + source[else_end + 1:]
        elif re.match(r"\s*else\b", rest):
            raise ValueError("`if (SUBGROUPS == 1u)` followed by `else if` is not supported here")
        else:
            source = source[:match.start()] + source[then_end + 1:]
    code = re.sub(r"//[^\n]*", "", source)
    if re.search(r"\bsubgroup[A-Z]\w*\s*\(|subgroup_(size|invocation_id)", code):
        raise ValueError("subgroup operations outside `if (SUBGROUPS == 1u) { ... }` blocks")
    return source


def wgsl_for_wgpu(source, has_subgroups):
    """The kernel as wgpu 0.32 takes it (see the module docstring)."""
    if not re.search(r"^\s*enable\s+subgroups\s*;", source, re.M):
        return source
    source = re.sub(r"^\s*enable\s+subgroups\s*;[^\n]*\n", "", source, flags=re.M)
    return source if has_subgroups else without_subgroup_branches(source)


def open_device(adapter):
    wanted = [f for f in ("shader-f16", "subgroup") if f in adapter.features]
    return adapter.request_device_sync(required_features=wanted)


def make_device():
    """wgpu's OpenGL adapter where there is one (installing a Vulkan driver must not move the
    established checks to another backend), else the default adapter."""
    import wgpu
    adapters = wgpu.gpu.enumerate_adapters_sync()
    gl = [a for a in adapters if a.info["backend_type"] == "OpenGL"]
    adapter = gl[0] if gl else wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    return wgpu, adapter, open_device(adapter)


def wgpu_pipeline(wgpu, device, source, reflection, constants=None):
    module = device.create_shader_module(code=source)
    entries = []
    for b in reflection["bindings"]:
        kind = {"storage-read": wgpu.BufferBindingType.read_only_storage,
                "storage-read_write": wgpu.BufferBindingType.storage,
                "uniform": wgpu.BufferBindingType.uniform}[b["kind"]]
        entries.append({"binding": b["binding"], "visibility": wgpu.ShaderStage.COMPUTE, "buffer": {"type": kind}})
    group_layout = device.create_bind_group_layout(entries=entries)
    layout = device.create_pipeline_layout(bind_group_layouts=[group_layout])
    stage = {"module": module, "entry_point": reflection["entryPoint"]}
    if constants:
        stage["constants"] = constants
    pipeline = device.create_compute_pipeline(layout=layout, compute=stage)
    return pipeline, group_layout


def run_wgpu(wgpu, device, pipeline, group_layout, reflection, inputs, groups=GROUPS):
    buffers = {}
    entries = []
    for b in reflection["bindings"]:
        usage = wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
        usage |= wgpu.BufferUsage.UNIFORM if b["kind"] == "uniform" else wgpu.BufferUsage.STORAGE
        buffer = device.create_buffer_with_data(data=inputs[b["name"]], usage=usage)
        buffers[b["name"]] = buffer
        entries.append({"binding": b["binding"], "resource": {"buffer": buffer, "offset": 0, "size": buffer.size}})
    bind_group = device.create_bind_group(layout=group_layout, entries=entries)
    encoder = device.create_command_encoder()
    compute = encoder.begin_compute_pass()
    compute.set_pipeline(pipeline)
    compute.set_bind_group(0, bind_group)
    compute.dispatch_workgroups(*groups)
    compute.end()
    device.queue.submit([encoder.finish()])
    return {b["name"]: bytes(device.queue.read_buffer(buffers[b["name"]]))
            for b in reflection["bindings"] if b["kind"] == "storage-read_write"}


# ----------------------------------------------------------------------------- GLES side (ctypes)

class GLES:
    """A surfaceless EGL context with just the GLES 3.1 calls a compute dispatch needs."""

    def __init__(self):
        egl = ctypes.CDLL("libEGL.so.1")
        self.gl = gl = ctypes.CDLL("libGLESv2.so.2")
        egl.eglGetProcAddress.restype = ctypes.c_void_p
        egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
        get_platform_display = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p)(
            egl.eglGetProcAddress(b"eglGetPlatformDisplayEXT"))
        egl.eglInitialize.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        egl.eglCreateContext.restype = ctypes.c_void_p
        egl.eglCreateContext.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        egl.eglMakeCurrent.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        display = get_platform_display(0x31DD, None, None)  # EGL_PLATFORM_SURFACELESS_MESA
        if not display or not egl.eglInitialize(display, None, None):
            raise RuntimeError("EGL: no surfaceless display (is Mesa installed?)")
        egl.eglBindAPI(0x30A0)  # EGL_OPENGL_ES_API
        attributes = (ctypes.c_int * 5)(0x3098, 3, 0x30FB, 1, 0x3038)  # ES 3.1
        context = egl.eglCreateContext(display, None, None, attributes)
        self.egl, self.display, self.context = egl, display, context
        if not context:
            raise RuntimeError("EGL: cannot create a GLES 3.1 context")
        self.make_current()
        gl.glCreateShader.restype = ctypes.c_uint
        gl.glCreateProgram.restype = ctypes.c_uint
        gl.glMapBufferRange.restype = ctypes.c_void_p
        gl.glMapBufferRange.argtypes = [ctypes.c_uint, ctypes.c_ssize_t, ctypes.c_ssize_t, ctypes.c_uint]
        gl.glBufferData.argtypes = [ctypes.c_uint, ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_uint]

    def make_current(self):
        # wgpu's GL backend makes its own context current on this thread: take ours back.
        if not self.egl.eglMakeCurrent(self.display, None, None, self.context):
            raise RuntimeError("EGL: cannot make the GLES context current")

    def program(self, glsl):
        self.make_current()
        gl = self.gl
        shader = gl.glCreateShader(0x91B9)  # GL_COMPUTE_SHADER
        source = ctypes.c_char_p(glsl.encode())
        gl.glShaderSource(shader, 1, ctypes.byref(source), None)
        gl.glCompileShader(shader)
        status = ctypes.c_int()
        gl.glGetShaderiv(shader, 0x8B81, ctypes.byref(status))
        if not status.value:
            log = ctypes.create_string_buffer(8192)
            gl.glGetShaderInfoLog(shader, 8192, None, log)
            raise RuntimeError("GLSL compile failed: " + log.value.decode())
        program = gl.glCreateProgram()
        gl.glAttachShader(program, shader)
        gl.glLinkProgram(program)
        gl.glGetProgramiv(program, 0x8B82, ctypes.byref(status))
        if not status.value:
            raise RuntimeError("GLSL link failed")
        return program

    def run(self, program, reflection, inputs, groups=GROUPS):
        self.make_current()
        gl = self.gl
        names = {}
        for b in reflection["bindings"]:
            target = 0x8A11 if b["kind"] == "uniform" else 0x90D2  # UNIFORM / SHADER_STORAGE
            name = ctypes.c_uint()
            gl.glGenBuffers(1, ctypes.byref(name))
            data = inputs[b["name"]]
            gl.glBindBuffer(target, name)
            gl.glBufferData(target, len(data), data, 0x88EA)  # GL_DYNAMIC_COPY
            gl.glBindBufferBase(target, b["glslBinding"], name)
            names[b["name"]] = (name, len(data))
        gl.glUseProgram(program)
        gl.glDispatchCompute(*groups)
        gl.glMemoryBarrier(0xFFFFFFFF)
        gl.glFinish()
        outputs = {}
        for b in reflection["bindings"]:
            if b["kind"] != "storage-read_write":
                continue
            name, size = names[b["name"]]
            gl.glBindBuffer(0x90D2, name)
            pointer = gl.glMapBufferRange(0x90D2, 0, size, 0x1)  # GL_MAP_READ_BIT
            outputs[b["name"]] = ctypes.string_at(pointer, size)
            gl.glUnmapBuffer(0x90D2)
        for name, _ in names.values():
            gl.glDeleteBuffers(1, ctypes.byref(name))
        return outputs


def specialised(glsl, defines):
    """The GLSL with override macros defined after #version/#extension, as the host does."""
    lines = glsl.split("\n")
    at = max(i for i, line in enumerate(lines) if line.startswith("#version") or line.startswith("#extension")) + 1
    return "\n".join(lines[:at] + ["#define OVERRIDE_%s %d" % item for item in sorted(defines.items())] + lines[at:])


# ----------------------------------------------------------------------------- comparison

def compare(binding, ours, theirs):
    """A list of mismatch descriptions (empty when the buffers agree)."""
    count = len(ours) // 4
    floats = leaf_scalar(binding["type"]) == "f32" and "atomic" not in binding["type"]
    fmt = "<%d%s" % (count, "f" if floats else "I")
    a, b = struct.unpack(fmt, ours[:count * 4]), struct.unpack(fmt, theirs[:count * 4])
    problems = []
    for i, (x, y) in enumerate(zip(a, b)):
        if floats:
            same = (x != x and y != y) or x == y or abs(x - y) <= FLOAT_TOLERANCE * max(1.0, abs(y))
        else:
            same = x == y
        if not same:
            problems.append("%s[%d]: glsl %r, wgpu %r" % (binding["name"], i, x, y))
    return problems


# ----------------------------------------------------------------------------- subgroup paths

# Parameter values that give every lane of a row work (f32_linear: 256 columns, 64 Q8_0 or 32
# MXFP4 units a row; MoE: 128 MXFP4 columns, 16 units) and make every expert id of the inputs
# (0..15) one the dispatch holds. Weight strides follow the formats' plane layouts of
# docs/kernels.md and every row read lies inside the generated data: wgpu's Vulkan backend does
# not clamp reads past a buffer the way our GLSL does.
SUBGROUP_PARAMS = {
    "f32_linear": {"rows": 29, "cols": 256, "n_tokens": 1, "data_vec4_per_row": 16, "scale_words_per_row": 4,
                   "has_bias": 1, "accumulate": 1},
    "f32_moe_gate_up_swiglu": {"rows": 13, "cols": 128, "expert_begin": 0, "expert_end": 16,
                               "data_vec4_per_row": 4, "scale_words_per_row": 4, "has_bias": 1},
    "f32_moe_down_sum": {"rows": 13, "cols": 128, "expert_begin": 0, "expert_end": 16,
                         "data_vec4_per_row": 4, "scale_words_per_row": 4, "has_bias": 1},
    # warm_mask is 0 in real launches (else every workgroup writes normed[0], racing); n_groups
    # is the dispatch's workgroup count, so that the last one (zeroed counter) runs the router.
    "f32_out_router_decode": {"warm_mask": 0, "n_groups": 2},
}
# Parameter values for check 2 where the generic ones (equal small integers) leave a kernel with
# nothing to do: an empty expert range, or a first token past the last. The MoE decode kernels
# take the subgroup check's values; the grouped MoE kernels also get a consistent grouping
# (grouped_inputs). Rows that are not a multiple of the row tile exercise the edge handling.
MAIN_PARAMS = dict(SUBGROUP_PARAMS, **{
    "f32_kv_append": {"first_token": 0},
    "f32_phase_handoff": {"groups_per_phase": 2, "phases": 3, "wait_extra": 0, "separate_phase": 0xffffffff, "rounds": 64},
    "f32_moe_gate_up_grouped": {"n_slots": 24, "k": 4, "rows": 100, "cols": 64, "expert_begin": 0, "expert_end": 4,
                                "has_bias": 1, "data_vec4_per_row": 2, "scale_words_per_row": 4},
    "f32_moe_down_grouped": {"n_slots": 24, "k": 4, "rows": 200, "cols": 64, "expert_begin": 0, "expert_end": 4,
                             "has_bias": 1, "data_vec4_per_row": 2, "scale_words_per_row": 4},
})
del MAIN_PARAMS["f32_linear"]   # its generic values already give work; these fix one token


def grouped_inputs(inputs, rng):
    """What f32_moe_group would hand the grouped kernels for MAIN_PARAMS' 24 slots: the slots
    sorted by expert (a shuffled order, as any choice of experts gives) and two tiles, one per
    workgroup row of the dispatch: 20 slots of expert 1 and 4 of expert 3."""
    order = list(range(24))
    rng.shuffle(order)
    sorted_words = bytearray(inputs["sorted"])
    sorted_words[:96] = struct.pack("<24I", *order)
    inputs["sorted"] = bytes(sorted_words)
    tiles = bytearray(inputs["tiles"])
    tiles[:48] = struct.pack("<12I", 2, 24, 0, 0, 1, 0, 20, 0, 3, 20, 4, 0)
    inputs["tiles"] = bytes(tiles)


def zeroed(binding):
    """An input builder that zeroes `binding`: counters as a launch finds them (the router's
    finished workgroups, the phase hand-off's tickets and counts; the last workgroup resets them)."""
    def build(inputs, rng):
        inputs[binding] = bytes(len(inputs[binding]))
    return build


INPUT_BUILDERS = {"f32_moe_gate_up_grouped": grouped_inputs, "f32_moe_down_grouped": grouped_inputs,
                  "f32_out_router_decode": zeroed("counter"), "f32_phase_handoff": zeroed("counters")}


def seeded_inputs(name, reflection, rng, fixed, increasing=False):
    """Every binding's seeded contents (binding_bytes with `fixed` parameters), then the kernel's
    INPUT_BUILDERS entry, if it has one."""
    inputs = {b["name"]: binding_bytes(b, rng, increasing, fixed=fixed) for b in reflection["bindings"]}
    if name in INPUT_BUILDERS:
        INPUT_BUILDERS[name](inputs, rng)
    return inputs
# Override sets each kernel is checked with (besides SUBGROUPS and THREADS_PER_ROW).
SUBGROUP_VARIANTS = {
    "f32_linear": [{}, {"NORMALIZE": 1}, {"WEIGHT_FORMAT": 4}],
}
SUBGROUP_PROBE = """
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) i: u32, @builtin(subgroup_size) size: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
    out[i] = size;
    out[64u + i] = lane;
}
"""


def half_bits(value, bfloat=False):
    """The 16 bits of `value` as an IEEE half (or the top half of its f32 for bfloat16)."""
    if bfloat:
        return struct.unpack("<I", struct.pack("<f", value))[0] >> 16
    return struct.unpack("<H", struct.pack("<e", value))[0]


def realistic_weights(inputs, weight_format, rng):
    """Weight planes whose values are of order one in `weight_format` (0 f32, 1 f16, 2 bf16,
    3 Q8_0, 4 MXFP4): small integers as scales would make every dot product vanish next to the
    bias, and a reduction that dropped lanes would go unseen."""
    count = len(inputs["data"]) // 4
    if weight_format == 0:
        data = [struct.unpack("<I", struct.pack("<f", rng.uniform(-1.0, 1.0)))[0] for _ in range(count)]
    elif weight_format in (1, 2):
        data = [half_bits(rng.uniform(-1.0, 1.0), weight_format == 2) | (half_bits(rng.uniform(-1.0, 1.0), weight_format == 2) << 16)
                for _ in range(count)]
    else:
        data = [rng.getrandbits(32) for _ in range(count)]   # int8 quads or E2M1 nibbles: any bits
    inputs["data"] = struct.pack("<%dI" % count, *data)
    count = len(inputs["scales"]) // 4
    if weight_format == 3:      # two f16 block scales a word
        scales = [half_bits(rng.uniform(0.005, 0.02)) | (half_bits(rng.uniform(0.005, 0.02)) << 16) for _ in range(count)]
    else:                       # four E8M0 exponents a word, around 2^0
        scales = [sum(rng.randint(122, 128) << (8 * k) for k in range(4)) for _ in range(count)]
    inputs["scales"] = struct.pack("<%dI" % count, *scales)


def subgroup_layout(wgpu, device):
    """The device's subgroup size, and whether invocation i of a 64-wide workgroup is lane
    i % size (the mapping the kernels' SUBGROUPS path relies on)."""
    reflection = {"entryPoint": "main", "bindings": [{"binding": 0, "kind": "storage-read_write", "name": "out"}]}
    pipeline, group_layout = wgpu_pipeline(wgpu, device, SUBGROUP_PROBE, reflection)
    words = run_wgpu(wgpu, device, pipeline, group_layout, reflection, {"out": bytes(512)})["out"]
    values = struct.unpack("<128I", words)
    size = values[0]
    linear = all(values[i] == size and values[64 + i] == i % size for i in range(64))
    return size, linear


def check_subgroup_paths(wgpu, gles, names, seed):
    """Check 3 of the module docstring; returns the number of failures."""
    adapter = next((a for a in wgpu.gpu.enumerate_adapters_sync() if "subgroup" in a.features), None)
    if adapter is None:
        print("note: no wgpu adapter has the 'subgroup' feature: SUBGROUPS = 1 paths not run "
              "(apt-get install mesa-vulkan-drivers gives llvmpipe's Vulkan driver, which has it)")
        return 0
    device = open_device(adapter)
    size, linear = subgroup_layout(wgpu, device)
    print("subgroups: %s (%s), size %d" % (adapter.info["device"], adapter.info["backend_type"], size))
    if not linear:
        print("FAIL subgroups: invocations are not mapped to lanes linearly; the SUBGROUPS path assumes they are")
        return 1
    failures = 0
    for name in names:
        reflection = json.loads((GLSL_DIR / (name + ".json")).read_text())
        overrides = {o["name"]: o for o in reflection["overrides"]}
        if "SUBGROUPS" not in overrides:
            continue
        workgroup = overrides["WG_SIZE"]["defaultValue"] if "WG_SIZE" in overrides else 0
        if "THREADS_PER_ROW" not in overrides or not workgroup or workgroup % size:
            print("FAIL %-28s SUBGROUPS needs THREADS_PER_ROW and a WG_SIZE that subgroups of %d divide" % (name, size))
            failures += 1
            continue
        source = wgsl_for_wgpu(kernel_wgsl(name), True)
        glsl = (GLSL_DIR / (name + ".comp")).read_text()
        for variant in SUBGROUP_VARIANTS.get(name, [{}]):
            label = "%s%s" % (name, "".join("[%s=%d]" % item for item in sorted(variant.items())))
            common = dict(variant, THREADS_PER_ROW=size)
            try:
                pipeline, group_layout = wgpu_pipeline(wgpu, device, source, reflection, dict(common, SUBGROUPS=1))
            except Exception as error:
                failures += 1
                print("FAIL %-28s SUBGROUPS = 1 not valid WebGPU: %s" % (label, error))
                continue
            program = gles.program(specialised(glsl, common))
            rng = random.Random("%d:%s:subgroups" % (seed, label))
            inputs = seeded_inputs(name, reflection, rng, SUBGROUP_PARAMS.get(name))
            if "data" in inputs and "scales" in inputs and "WEIGHT_FORMAT" in overrides:
                realistic_weights(inputs, common.get("WEIGHT_FORMAT", overrides["WEIGHT_FORMAT"]["defaultValue"]), rng)
            problems, written, words = run_both(wgpu, device, pipeline, group_layout, gles, program, reflection, inputs,
                                                dispatch_for(name))
            if problems or not written:
                failures += 1
                print("FAIL %-28s SUBGROUPS = 1: %s" % (label, "%d differences, first: %s" % (len(problems), "; ".join(problems[:3]))
                                                       if problems else "the kernel wrote nothing"))
            else:
                print("ok   %-28s SUBGROUPS = 1 on wgpu (%d-wide subgroups) agrees with the shared-memory GLSL (%d words written)"
                      % (label, size, written))
    return failures


def run_both(wgpu, device, pipeline, group_layout, gles, program, reflection, inputs, groups=GROUPS):
    """Runs one kernel on wgpu and on our GLSL with the same inputs: the differences in every
    read-write binding, how many 4-byte words our run changed, and how many it returned."""
    theirs = run_wgpu(wgpu, device, pipeline, group_layout, reflection, inputs, groups)
    ours = gles.run(program, reflection, inputs, groups)
    problems = []
    for b in reflection["bindings"]:
        if b["kind"] == "storage-read_write":
            problems += compare(b, ours[b["name"]], theirs[b["name"]])
    written = sum(sum(1 for i in range(0, len(v), 4) if v[i:i + 4] != inputs[k][i:i + 4]) for k, v in ours.items())
    return problems, written, sum(len(v) // 4 for v in ours.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kernels", nargs="*", help="kernel names (default: all in Shaders/wgsl)")
    parser.add_argument("--validate-only", action="store_true", help="only build the WebGPU pipelines")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    wgpu, adapter, device = make_device()
    has_subgroups = "subgroup" in adapter.features
    print("wgpu adapter: %s (%s)" % (adapter.info["device"], adapter.info["backend_type"]))
    if not has_subgroups:
        print("note: the adapter has no 'subgroup' feature: kernels with SUBGROUPS are checked with SUBGROUPS = 0 only")
    gles = None if args.validate_only else GLES()
    names = args.kernels or sorted(p.stem for p in WGSL_DIR.glob("*.wgsl"))
    failures = 0
    for name in names:
        source = kernel_wgsl(name)
        reflection = json.loads((GLSL_DIR / (name + ".json")).read_text())
        try:
            pipeline, group_layout = wgpu_pipeline(wgpu, device, wgsl_for_wgpu(source, has_subgroups), reflection)
        except Exception as error:  # wgpu raises its own validation error types
            failures += 1
            print("FAIL %-28s not valid WebGPU: %s" % (name, error))
            continue
        if args.validate_only:
            print("ok   %-28s valid WebGPU pipeline" % name)
            continue
        program = gles.program((GLSL_DIR / (name + ".comp")).read_text())
        # Some parameter values make a kernel exit early; try a few seeds until it writes.
        for attempt in range(ATTEMPTS):
            rng = random.Random("%d:%s:%d" % (args.seed, name, attempt))
            # Equal integer members first; then increasing ones, which open ranges such as
            # [row_begin, row_end) that equal values leave empty.
            increasing = attempt >= ATTEMPTS // 2
            inputs = seeded_inputs(name, reflection, rng, MAIN_PARAMS.get(name), increasing)
            problems, written, words = run_both(wgpu, device, pipeline, group_layout, gles, program, reflection, inputs,
                                                dispatch_for(name))
            if problems or written:
                break
        if problems:
            failures += 1
            print("FAIL %-28s %d differences, first: %s" % (name, len(problems), "; ".join(problems[:3])))
        elif not written:
            # Agreeing on untouched buffers proves nothing: give the kernel MAIN_PARAMS.
            failures += 1
            print("FAIL %-28s wrote nothing in %d attempts: its inputs give it no work" % (name, ATTEMPTS))
        else:
            print("ok   %-28s valid WebGPU; %d output words agree (%d written by the kernel)" % (name, words, written))
    if not args.validate_only:
        failures += check_subgroup_paths(wgpu, gles, names, args.seed)
    print("%d kernel(s), %d failure(s)" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
