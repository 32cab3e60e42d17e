#include "fuzzer_driver.h"

// libFuzzer's own entry point; weak so that a plain build (no libFuzzer) still links.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, fuzz_callback callback) __attribute__((weak));

static fuzz_callback registered;

// libFuzzer's main() object is linked in whole and refers to this symbol, even though SwiftPM's
// entry point (our @main) is the one that runs and hands the callback over explicitly.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return registered ? registered(data, size) : 0;
}

int fuzz_driver_run(int *argc, char ***argv, fuzz_callback callback) {
    registered = callback;
    if (!LLVMFuzzerRunDriver) return -1;
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
