// libFuzzer's entry for programs that keep their own main (LLVM 11+). Declared here only: the
// symbol comes from libclang_rt.fuzzer_no_main, linked by `make fuzz`; the targets reference it
// only when built with -DFUZZING, so ordinary builds need no fuzzer runtime.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
