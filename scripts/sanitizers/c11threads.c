// Preloaded (LD_PRELOAD) into sanitizer test runs only; never part of a KafkaKit build.
//
// librdkafka, as built here, uses C11 threads (thrd_create, mtx_lock, cnd_wait, call_once).
// glibc implements those on its pthread internals without going through the pthread_*
// entry points, and the sanitizer runtimes intercept only the pthread_* ones. So, unaided:
// - ThreadSanitizer never learns of librdkafka's threads and crashes (SEGV in its allocator)
//   the first time one of them calls malloc; and it cannot see librdkafka's mutexes and
//   condition variables, so every hand-over through them would look like a race;
// - AddressSanitizer's leak checker does not scan those threads' stacks.
// These definitions forward each C11 call to its pthread equivalent — which glibc's own
// implementation is, apart from the entry point — so the interceptors see them.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t is a pthread_mutex_t in glibc");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t is a pthread_cond_t in glibc");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag is a pthread_once_t in glibc");

static int result(int err) {
    switch (err) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
    }
}

struct start { thrd_start_t func; void *arg; };

static void *run(void *p) {
    struct start start = *(struct start *)p;
    free(p);
    return (void *)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
    struct start *start = malloc(sizeof *start);
    if (!start) return thrd_nomem;
    start->func = func;
    start->arg = arg;
    int err = pthread_create((pthread_t *)thr, NULL, run, start);
    if (err) free(start);
    return result(err);
}

int thrd_join(thrd_t thr, int *res) {
    void *value;
    int err = pthread_join((pthread_t)thr, &value);
    if (!err && res) *res = (int)(intptr_t)value;
    return result(err);
}

int thrd_detach(thrd_t thr) { return result(pthread_detach((pthread_t)thr)); }

void thrd_exit(int res) { pthread_exit((void *)(intptr_t)res); }

int mtx_init(mtx_t *mtx, int type) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int err = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
    pthread_mutexattr_destroy(&attr);
    return result(err);
}

int mtx_lock(mtx_t *mtx) { return result(pthread_mutex_lock((pthread_mutex_t *)mtx)); }
int mtx_trylock(mtx_t *mtx) { return result(pthread_mutex_trylock((pthread_mutex_t *)mtx)); }
int mtx_timedlock(mtx_t *restrict mtx, const struct timespec *restrict ts) {
    return result(pthread_mutex_timedlock((pthread_mutex_t *)mtx, ts));
}
int mtx_unlock(mtx_t *mtx) { return result(pthread_mutex_unlock((pthread_mutex_t *)mtx)); }
void mtx_destroy(mtx_t *mtx) { pthread_mutex_destroy((pthread_mutex_t *)mtx); }

int cnd_init(cnd_t *cond) { return result(pthread_cond_init((pthread_cond_t *)cond, NULL)); }
int cnd_signal(cnd_t *cond) { return result(pthread_cond_signal((pthread_cond_t *)cond)); }
int cnd_broadcast(cnd_t *cond) { return result(pthread_cond_broadcast((pthread_cond_t *)cond)); }
int cnd_wait(cnd_t *cond, mtx_t *mtx) {
    return result(pthread_cond_wait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx));
}
// C11's deadline is TIME_UTC, a condition variable's default clock CLOCK_REALTIME: the same.
int cnd_timedwait(cnd_t *restrict cond, mtx_t *restrict mtx, const struct timespec *restrict ts) {
    return result(pthread_cond_timedwait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx, ts));
}
void cnd_destroy(cnd_t *cond) { pthread_cond_destroy((pthread_cond_t *)cond); }

void call_once(once_flag *flag, void (*func)(void)) { pthread_once((pthread_once_t *)flag, func); }
