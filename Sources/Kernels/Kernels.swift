// Module Kernels: see docs in README.md and design notes.
