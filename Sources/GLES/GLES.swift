// Module GLES: see docs in README.md and design notes.
