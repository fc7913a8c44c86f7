// The WGSL → GLSL ES 3.10 translator: lexer → parser → typed IR → validator → GLSL writer.
