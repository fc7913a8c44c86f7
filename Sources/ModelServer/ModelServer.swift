// Module ModelServer: see docs in README.md and design notes.
