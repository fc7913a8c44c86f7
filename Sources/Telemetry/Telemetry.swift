// Module Telemetry: see docs in README.md and design notes.
