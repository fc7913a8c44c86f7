// Module GPTOSS: see docs in README.md and design notes.
