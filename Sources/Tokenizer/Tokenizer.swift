// Module Tokenizer: see docs in README.md and design notes.
