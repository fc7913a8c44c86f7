#version 310 es
precision highp float;
precision highp int;

layout(local_size_x = 32, local_size_y = 2, local_size_z = 1) in;

layout(std430, binding = 0) restrict buffer data_block {
    uint data[];
};

uint classify(uint v) {
    if (v == 0u) {
        return 0u;
    } else if (v < 10u) {
        return 1u;
    } else if (v < 100u) {
        return 2u;
    }
    return 3u;
}

void accumulate(inout uint total, uint v) {
    total += v;
}

uint collatz_steps(uint start) {
    uint n = start;
    uint steps = 0u;
    bool loop_first = true;
    while (true) {
        if (!loop_first) {
            steps++;
            if (steps >= 1000u) {
                break;
            }
        }
        loop_first = false;
        if (n <= 1u) {
            break;
        }
        if ((n % 2u) == 0u) {
            n = n / 2u;
            continue;
        }
        n = (3u * n) + 1u;
    }
    return steps;
}

void main() {
    uvec3 gid = gl_GlobalInvocationID;
    uvec3 groups = gl_NumWorkGroups;
    uint index = gid.x + ((gid.y * groups.x) * 32u);
    if (index >= uint(data.length())) {
        return;
    }
    uint total = 0u;
    for (uint i = 0u; i < 8u; i++) {
        if (i == 3u) {
            continue;
        }
        accumulate(total, i);
    }
    int k = 0;
    while (k < 4) {
        k++;
    }
    uint kind = 0u;
    switch (classify(data[min(index, (uint(data.length()) - 1u))])) {
        case 0u:
        {
            kind = 10u;
            break;
        }
        case 1u:
        case 2u:
        {
            kind = 20u;
            break;
        }
        case 3u:
        default:
        {
            kind = 30u;
            if (total > 100u) {
                break;
            }
            kind++;
            break;
        }
    }
    data[min(index, (uint(data.length()) - 1u))] = ((total + kind) + uint(k)) + collatz_steps(data[min(index, (uint(data.length()) - 1u))]);
}
