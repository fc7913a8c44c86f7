// Control flow: if / else if / else, switch with grouped cases and default, for, while,
// loop with continuing and break if, continue, early return, functions and pointer parameters.
@group(0) @binding(0) var<storage, read_write> data: array<u32>;

fn classify(v: u32) -> u32 {
    if v == 0u {
        return 0u;
    } else if v < 10u {
        return 1u;
    } else if v < 100u {
        return 2u;
    }
    return 3u;
}

fn accumulate(total: ptr<function, u32>, v: u32) {
    *total += v;
}

fn collatz_steps(start: u32) -> u32 {
    var n = start;
    var steps = 0u;
    loop {
        if n <= 1u { break; }
        if n % 2u == 0u {
            n = n / 2u;
            continue;
        }
        n = 3u * n + 1u;
        continuing {
            steps += 1u;
            break if steps >= 1000u;
        }
    }
    return steps;
}

@compute @workgroup_size(32, 2, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * 32u;
    if index >= arrayLength(&data) {
        return;
    }
    var total = 0u;
    for (var i = 0u; i < 8u; i++) {
        if i == 3u { continue; }
        accumulate(&total, i);
    }
    var k = 0;
    while k < 4 {
        k += 1;
    }
    var kind: u32;
    switch classify(data[index]) {
        case 0u: { kind = 10u; }
        case 1u, 2u: { kind = 20u; }
        case default, 3u: {
            kind = 30u;
            if total > 100u { break; }
            kind += 1u;
        }
    }
    data[index] = total + kind + u32(k) + collatz_steps(data[index]);
}
