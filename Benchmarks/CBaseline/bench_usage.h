/* What both C baselines report about themselves: peak RSS and CPU time, from getrusage. */
#pragma once

#include <stdint.h>
#include <sys/resource.h>

/* Linux reports ru_maxrss in kilobytes. */
static inline long peak_rss_kb(void) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) != 0)
                return -1;
        return ru.ru_maxrss;
}

/* CPU time the process (every thread, librdkafka's included) has used. */
struct cpu_time {
        int64_t user_us;
        int64_t sys_us;
};

static inline struct cpu_time cpu_now(void) {
        struct rusage ru;
        struct cpu_time t = {-1, -1};
        if (getrusage(RUSAGE_SELF, &ru) == 0) {
                t.user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 +
                            ru.ru_utime.tv_usec;
                t.sys_us = (int64_t)ru.ru_stime.tv_sec * 1000000 +
                           ru.ru_stime.tv_usec;
        }
        return t;
}
