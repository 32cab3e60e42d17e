#ifndef FUZZER_DRIVER_H
#define FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Called with each input; returns 0 (libFuzzer reserves other values).
typedef int (*fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with `callback` when the program is linked with it (-sanitize=fuzzer) and
/// returns its exit code; returns -1 at once when it is not.
int fuzz_driver_run(int *argc, char ***argv, fuzz_callback callback);

#endif
