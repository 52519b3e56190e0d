// Preloaded (LD_PRELOAD) into ThreadSanitizer test runs only; never part of a KafkaKit build.
//
// Synchronization.Mutex on Linux locks with an atomic compare-and-swap, inlined into our
// (instrumented) code, and falls back under contention to `_lockSlow`/`_unlockSlow`/
// `_tryLockSlow` in libswiftSynchronization.so: a spin and a PI futex, not instrumented. A
// lock taken or given through that slow path is invisible to ThreadSanitizer, which then
// reports every contended critical section as racing with the previous holder's — a false
// report, and so many that real ones would drown. These wrappers call the library's own
// functions and tell ThreadSanitizer what they did: acquired the lock word after a slow lock,
// released it before a slow unlock. They add only orderings the mutex really makes; an
// access outside the lock is still reported.
//
// The three are Swift methods of `_MutexHandle` (self, the lock word's address, arrives in
// the swiftself register, which clang calls swift_context), hence the swiftcall attributes.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Weak: in a process without ThreadSanitizer (`swift test` itself, which starts the test
// process with the same environment) they are absent and the wrappers only forward.
void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));

#define SWIFTCALL __attribute__((swiftcall))
#define SWIFTSELF __attribute__((swift_context))  // lowered to LLVM's swiftself: r13 on x86_64

#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRYLOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef SWIFTCALL void (*lock_slow_fn)(uint32_t self_id, void *SWIFTSELF word);
typedef SWIFTCALL bool (*trylock_slow_fn)(void *SWIFTSELF word);
typedef SWIFTCALL void (*unlock_slow_fn)(void *SWIFTSELF word);

static void *original(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "swift-mutex-tsan: %s not found in libswiftSynchronization\n", name);
        abort();
    }
    return f;
}

// Resolved on first use (a data race of its own would be harmless: every thread stores the
// same pointer; the loads and stores are atomic so ThreadSanitizer does not report them).
static lock_slow_fn lock_slow;
static trylock_slow_fn trylock_slow;
static unlock_slow_fn unlock_slow;

#define RESOLVE(var, type, name) \
    type f = __atomic_load_n(&var, __ATOMIC_RELAXED); \
    if (!f) { f = (type)original(name); __atomic_store_n(&var, f, __ATOMIC_RELAXED); }

SWIFTCALL void $s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF(uint32_t self_id, void *SWIFTSELF word)
    __asm__(LOCK_SLOW);
SWIFTCALL void $s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF(uint32_t self_id, void *SWIFTSELF word) {
    RESOLVE(lock_slow, lock_slow_fn, LOCK_SLOW)
    f(self_id, word);
    if (__tsan_acquire) __tsan_acquire(word);
}

SWIFTCALL bool $s15Synchronization12_MutexHandleV12_tryLockSlowSbyF(void *SWIFTSELF word) __asm__(TRYLOCK_SLOW);
SWIFTCALL bool $s15Synchronization12_MutexHandleV12_tryLockSlowSbyF(void *SWIFTSELF word) {
    RESOLVE(trylock_slow, trylock_slow_fn, TRYLOCK_SLOW)
    bool locked = f(word);
    if (locked && __tsan_acquire) __tsan_acquire(word);
    return locked;
}

SWIFTCALL void $s15Synchronization12_MutexHandleV11_unlockSlowyyF(void *SWIFTSELF word) __asm__(UNLOCK_SLOW);
SWIFTCALL void $s15Synchronization12_MutexHandleV11_unlockSlowyyF(void *SWIFTSELF word) {
    RESOLVE(unlock_slow, unlock_slow_fn, UNLOCK_SLOW)
    if (__tsan_release) __tsan_release(word);
    f(word);
}
