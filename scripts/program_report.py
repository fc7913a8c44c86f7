#!/usr/bin/env python3
"""What the driver made of each kernel: reads a folder written by GPTOSS_GL_DUMP_PROGRAMS
(NAME-HASH.bin driver binary, .comp GLSL, .txt note) and reports, per program, what can be read
from its binary.

NVIDIA's GLES driver (580) puts the NV_gpu_program5 assembly it compiled the GLSL to in its
binaries (`!!NVcp5.0` ... `END`): the report counts that assembly's memory and synchronisation
instructions by modifier (.COH coherent, .VOL volatile, MEMBAR scopes) and `--sass DIR` writes it
out. Binaries that embed the machine code as ELF objects (cubins) are read further: for each one
this prints the registers a thread and the shared memory a workgroup (from `cuobjdump
--dump-resource-usage`), how many workgroups and warps that lets an H100 SM hold (with the
workgroup size from the dump's note) and, from `nvdisasm`, how many
instructions of each memory kind the code holds: global loads by cache flavour (plain, .CONSTANT
= the non-coherent read-only path, .STRONG.GPU = coherent at the GPU), shared loads and stores,
barriers, memory fences, atomics. `--sass DIR` also writes each program's full disassembly there.

Where no ELF is found (another driver, or a format this script does not know), it says so and
prints the printable strings of the binary that look like assembly or compiler notes.

cuobjdump and nvdisasm come from PyPI (`pip install nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm`)
or a CUDA toolkit; `--tools DIR` names a folder to look in first.

  GPTOSS_GL_DUMP_PROGRAMS=/tmp/programs gptoss-gl bench --prompt-tokens 512 --gen-tokens 4
  scripts/program_report.py /tmp/programs [--match moe_gate_up] [--sass /tmp/sass]
"""
import argparse
import collections
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ELF_MAGIC = b"\x7fELF"


def find_tool(name, extra):
    """The executable `name`: in `extra`, on PATH, or inside an installed nvidia-* wheel."""
    for folder in extra:
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if found:
        return found
    for site in sys.path:
        for path in glob.glob(os.path.join(site, "nvidia", "**", "bin", name), recursive=True):
            if os.access(path, os.X_OK):
                return path
    return None


def elf_objects(blob):
    """(offset, bytes) of every 64-bit little-endian ELF object inside `blob`, sized from its
    section header table (which ends an object written by the CUDA tools)."""
    found = []
    start = 0
    while True:
        at = blob.find(ELF_MAGIC, start)
        if at < 0:
            return found
        start = at + 4
        header = blob[at:at + 64]
        if len(header) < 64 or header[4] != 2 or header[5] != 1:
            continue
        shoff, = struct.unpack_from("<Q", header, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", header, 0x3A)
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        end = max(shoff + shentsize * shnum, phoff + phentsize * phnum)
        if end <= 64 or at + end > len(blob):
            continue
        found.append((at, blob[at:at + end]))
        start = at + end


def run(tool, *args):
    try:
        done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    if done.returncode != 0:
        return None, (done.stderr or done.stdout).strip()[:400]
    return done.stdout, None


def resource_usage(cuobjdump, path):
    """REG, SHARED, STACK, LOCAL of each function in the cubin, from cuobjdump."""
    out, error = run(cuobjdump, "--dump-resource-usage", path)
    if out is None:
        return f"cuobjdump failed: {error}"
    lines = [line.strip() for line in out.splitlines() if "REG:" in line or "Function" in line]
    return "; ".join(lines) if lines else "(no resource lines)"


# An H100 / H200 SM (sm_90): what bounds how many workgroups share it.
SM90 = {"warps": 64, "workgroups": 32, "registers": 65536, "register_unit": 256, "shared": 228 * 1024, "shared_reserved": 1024}


def occupancy(threads, registers, shared, sm=SM90):
    """Workgroups (and warps) an SM holds for a workgroup of `threads` threads using `registers`
    registers a thread and `shared` bytes of shared memory, with the largest shared-memory
    carve-out (the driver may pick a smaller one), and each limit on its own."""
    warps = -(-threads // 32)
    per_warp = -(-registers * 32 // sm["register_unit"]) * sm["register_unit"]
    limits = {
        "registers": sm["registers"] // (per_warp * warps) if registers else sm["workgroups"],
        "shared": sm["shared"] // (shared + sm["shared_reserved"]) if shared else sm["workgroups"],
        "threads": sm["warps"] // warps,
    }
    workgroups = min(sm["workgroups"], *limits.values())
    return workgroups, workgroups * warps, limits


def workgroup_threads(note_lines):
    """Threads of a workgroup from the dump's note (`workgroup X x Y x Z`), or None."""
    for line in note_lines:
        if line.startswith("workgroup "):
            sizes = [int(v) for v in re.findall(r"\d+", line)]
            if sizes:
                product = 1
                for v in sizes:
                    product *= v
                return product
    return None


def occupancy_line(resources, threads):
    """The occupancy of the first function in cuobjdump's resource line, or None."""
    registers = re.search(r"REG:(\d+)", resources)
    shared = re.search(r"SHARED:(\d+)", resources)
    if not registers or threads is None:
        return None
    workgroups, warps, limits = occupancy(threads, int(registers.group(1)), int(shared.group(1)) if shared else 0)
    bounds = ", ".join(f"{name} {count}" for name, count in limits.items())
    return f"{workgroups} workgroups = {warps} warps an SM on sm_90 (bounds: {bounds}; shared with the full carve-out)"


MEMORY_OPS = re.compile(r"\b(LDG|STG|LD|ST|LDS|STS|LDSM|ATOM|ATOMG|ATOMS|RED|BAR|MEMBAR|FENCE|CCTL|ERRBAR|LDC)(\.[A-Z0-9_.]+)?\b")


def instruction_kinds(sass):
    """Counts of memory instructions by opcode with modifiers (e.g. LDG.E.128.CONSTANT)."""
    counts = collections.Counter()
    for line in sass.splitlines():
        # nvdisasm lines look like: /*0120*/   LDG.E.128.CONSTANT R4, desc[UR4][R2.64] ;
        body = line.split("*/", 1)[-1] if "*/" in line else line
        match = MEMORY_OPS.search(body)
        if match:
            counts[match.group(0)] += 1
    return counts


def nv_assembly(blob):
    """The NV_gpu_program5 assembly text inside a binary (from `!!NV` to its END), or None."""
    for text in printable_strings(blob):
        at = text.find("!!NV")
        if at >= 0:
            body = text[at:]
            end = body.find("\nEND")
            return body[:end + 4] if end >= 0 else body
    return None


# Memory and synchronisation opcodes of the NV assembly (NV_gpu_program5, NV_shader_storage_buffer,
# NV_compute_program5), with their modifiers.
ASSEMBLY_OPS = re.compile(r"^\s*(LDB|STB|ATOMB|LOAD|STORE|ATOM|LDS|STS|ATOMS|MEMBAR|BAR|RED)(\.[A-Z0-9_.]+)?\b")


def assembly_kinds(assembly):
    counts = collections.Counter()
    for line in assembly.splitlines():
        match = ASSEMBLY_OPS.search(line)
        if match:
            counts[match.group(0).strip()] += 1
    return counts


def printable_strings(blob, minimum=12):
    return [s.decode("ascii", "replace") for s in re.findall(rb"[\x20-\x7e\t\n]{%d,}" % minimum, blob)]


def report(folder, match, sass_folder, tools):
    cuobjdump = find_tool("cuobjdump", tools)
    nvdisasm = find_tool("nvdisasm", tools)
    print(f"tools: cuobjdump {cuobjdump or 'not found'}, nvdisasm {nvdisasm or 'not found'}")
    binaries = sorted(glob.glob(os.path.join(folder, "*.bin")))
    if not binaries:
        notes = sorted(glob.glob(os.path.join(folder, "*.txt")))
        print(f"no binaries in {folder} ({len(notes)} notes)")
        for note in notes[:3]:
            print(open(note).read().strip())
        return 1
    if sass_folder:
        os.makedirs(sass_folder, exist_ok=True)
    shown = 0
    for path in binaries:
        stem = os.path.basename(path)[:-4]
        if match and not re.search(match, stem):
            continue
        shown += 1
        blob = open(path, "rb").read()
        note_path = path[:-4] + ".txt"
        note = open(note_path).read().strip().splitlines() if os.path.exists(note_path) else []
        print(f"\n== {stem}")
        if note:
            print("   " + " | ".join(note))
        objects = elf_objects(blob)
        if not objects:
            assembly = nv_assembly(blob)
            if assembly:
                # NVIDIA's GLES binaries (driver 580) carry the NV_gpu_program5 assembly the
                # driver compiled the GLSL to, not a cubin: its memory instructions and their
                # modifiers (.COH coherent, .VOL volatile) still say how each access was made.
                counts = assembly_kinds(assembly)
                print(f"   NV assembly, {len(assembly.splitlines())} lines; memory: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
                if sass_folder:
                    with open(os.path.join(sass_folder, f"{stem}.nvasm"), "w") as out:
                        out.write(assembly)
                continue
            print(f"   no ELF object in {len(blob)} bytes; first bytes {blob[:16].hex()}")
            interesting = [s for s in printable_strings(blob) if re.search(r"TEMP|LDB|STB|ATOM|MEMBAR|BAR|REG|nv", s)]
            for text in interesting[:8]:
                print("   string: " + text.strip().replace("\n", " ⏎ ")[:300])
            continue
        for index, (offset, data) in enumerate(objects):
            with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as cubin:
                cubin.write(data)
                cubin_path = cubin.name
            try:
                print(f"   ELF #{index} at {offset}, {len(data)} bytes")
                if cuobjdump:
                    resources = resource_usage(cuobjdump, cubin_path)
                    print("   resources: " + resources)
                    line = occupancy_line(resources, workgroup_threads(note))
                    if line:
                        print("   occupancy: " + line)
                if nvdisasm:
                    sass, error = run(nvdisasm, "-c", cubin_path)
                    if sass is None:
                        print(f"   nvdisasm failed: {error}")
                        continue
                    counts = instruction_kinds(sass)
                    total = sum(1 for line in sass.splitlines() if re.search(r"/\*[0-9a-f]{4,}\*/", line))
                    print(f"   {total} instructions; memory: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
                    if sass_folder:
                        with open(os.path.join(sass_folder, f"{stem}.{index}.sass"), "w") as out:
                            out.write(sass)
            finally:
                os.unlink(cubin_path)
    if shown == 0:
        print(f"no program matches {match!r}")
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="the folder GPTOSS_GL_DUMP_PROGRAMS wrote")
    parser.add_argument("--match", help="only programs whose file name matches this regular expression")
    parser.add_argument("--sass", help="write each program's disassembly into this folder")
    parser.add_argument("--tools", action="append", default=[], help="a folder holding cuobjdump / nvdisasm")
    args = parser.parse_args()
    if not os.path.isdir(args.folder):
        parser.error(f"{args.folder} is not a folder")
    sys.exit(report(args.folder, args.match, args.sass, args.tools))


if __name__ == "__main__":
    main()
