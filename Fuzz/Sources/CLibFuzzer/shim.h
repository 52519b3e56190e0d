#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry point for programs with a main of their own (clang_rt.fuzzer, linked by
// -sanitize=fuzzer): SwiftPM links an executable target's main under the name <target>_main,
// so libFuzzer's own main (which would call LLVMFuzzerTestOneInput) cannot be used.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
