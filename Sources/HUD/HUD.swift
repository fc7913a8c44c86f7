// Module HUD: see docs in README.md and design notes.
