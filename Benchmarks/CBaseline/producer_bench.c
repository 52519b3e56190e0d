/*
 * Baseline for the KafkaKit producer benchmark: the same work done with
 * librdkafka's C API alone, so that the Swift numbers have a reference on the
 * same library, broker and machine.
 *
 *   producer_bench throughput BROKERS TOPIC COUNT SIZE
 *   producer_bench publish    BROKERS TOPIC COUNT SIZE
 *   producer_bench latency    BROKERS TOPIC COUNT
 *
 * publish is event_kafka's kafka_publish with a report route, in C: each
 * message carries a job (broker ID, a copy of key and payload, the report
 * function) as its opaque; the delivery callback hands the job's fields and
 * the status to the report function, then frees the job.
 *
 * Each mode prints exactly one line to stdout (the format scripts/bench
 * parses); diagnostics go to stderr. Besides its rate or latencies, the line
 * carries cpu_user_us= and cpu_sys_us= (getrusage(RUSAGE_SELF), all threads,
 * over the measured phase only: the same span as the clock, warm-up and
 * teardown excluded) and peak_rss_kb= (ru_maxrss of the whole run).
 *
 * Build:
 *   cc -O2 -o Benchmarks/CBaseline/bin/producer_bench \
 *      Benchmarks/CBaseline/producer_bench.c $(pkg-config --cflags --libs rdkafka)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "bench_usage.h"

#define LATENCY_PAYLOAD_SIZE 100
/* Larger than librdkafka's message.max.bytes ceiling; only guards malloc. */
#define MAX_SIZE 1000000000L
#define ERRSTR_SIZE 512

static const char *prog = "producer_bench";

static void usage(void) {
        fprintf(stderr,
                "usage: %s throughput BROKERS TOPIC COUNT SIZE\n"
                "       %s publish BROKERS TOPIC COUNT SIZE\n"
                "       %s latency BROKERS TOPIC COUNT\n"
                "  COUNT: number of messages (>= 1)\n"
                "  SIZE:  payload bytes per message (>= 0)\n",
                prog, prog, prog);
        exit(2);
}

/* Whole decimal number in [min, max]; anything else is a usage error. */
static long parse_long(const char *what, const char *s, long min, long max) {
        char *end;
        long v;

        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
                fprintf(stderr, "%s: invalid %s '%s' (expected %ld..%ld)\n",
                        prog, what, s, min, max);
                usage();
        }
        return v;
}

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void conf_set(rd_kafka_conf_t *conf, const char *name,
                     const char *value) {
        char errstr[ERRSTR_SIZE];
        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                fprintf(stderr, "%s: cannot set %s=%s: %s\n", prog, name,
                        value, errstr);
                exit(1);
        }
}

/*
 * The producer both modes share. linger_ms is NULL to keep librdkafka's
 * default. The conf (and with it the callbacks and opaque) is owned by the
 * producer once rd_kafka_new succeeds.
 */
static rd_kafka_t *
new_producer(const char *brokers,
             const char *linger_ms,
             void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
             void *opaque) {
        char errstr[ERRSTR_SIZE];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        conf_set(conf, "bootstrap.servers", brokers);
        /* The partitioner Java clients use, so keyed data lands alike. */
        conf_set(conf, "partitioner", "murmur2_random");
        conf_set(conf, "log_level", "3");
        if (linger_ms)
                conf_set(conf, "linger.ms", linger_ms);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_conf_set_opaque(conf, opaque);

        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "%s: cannot create producer: %s\n", prog,
                        errstr);
                rd_kafka_conf_destroy(conf);
                exit(1);
        }
        return rk;
}

/* ------------------------------------------------------------------ */
/* throughput and publish                                             */

struct tput_state {
        long count;
        long delivered;
        long failed;
        int64_t end_ns; /* when the last report arrived */
        int reported_error; /* print only the first delivery error */
};

/* One message's outcome. Served by rd_kafka_poll/flush on the main thread: no
 * locking needed. */
static void count_outcome(struct tput_state *st, rd_kafka_resp_err_t err,
                          const char *what) {
        if (err) {
                st->failed++;
                if (!st->reported_error) {
                        st->reported_error = 1;
                        fprintf(stderr, "%s: %s failed: %s\n", prog, what,
                                rd_kafka_err2str(err));
                }
        } else {
                st->delivered++;
        }
        if (st->delivered + st->failed == st->count)
                st->end_ns = now_ns();
}

static void tput_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                       void *opaque) {
        (void)rk;
        count_outcome(opaque, m->err, "delivery");
}

/* publish: what event_kafka keeps per published message until its report. */
struct publish_job {
        const char *broker_id;
        void (*report)(struct tput_state *st, const char *broker_id,
                       rd_kafka_resp_err_t err, const struct publish_job *job);
        size_t key_len;
        size_t payload_len;
        char data[]; /* key, then payload */
};

static void count_report(struct tput_state *st, const char *broker_id,
                         rd_kafka_resp_err_t err,
                         const struct publish_job *job) {
        (void)broker_id;
        (void)job;
        count_outcome(st, err, "delivery");
}

static void publish_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                          void *opaque) {
        struct publish_job *job = m->_private;
        (void)rk;
        job->report(opaque, job->broker_id, m->err, job);
        free(job);
}

/*
 * throughput and publish: COUNT identical records, every report awaited.
 * With jobs (publish), each message also carries a malloc'ed job with a copy
 * of its payload, handed to a report function and freed in the callback.
 */
static int run_produce(const char *mode, const char *brokers, const char *topic,
                       long count, long size, int with_jobs) {
        struct tput_state st = {0};
        rd_kafka_t *rk;
        rd_kafka_vu_t vus[5];
        size_t vu_cnt = with_jobs ? 5 : 4;
        void *payload;
        int64_t start_ns;
        struct cpu_time cpu_start, cpu_end;
        double seconds;
        long i;

        st.count = count;
        payload  = malloc(size > 0 ? (size_t)size : 1);
        if (!payload) {
                fprintf(stderr, "%s: cannot allocate %ld bytes\n", prog, size);
                return 1;
        }
        memset(payload, 'x', (size_t)size);

        rk = new_producer(brokers, NULL, with_jobs ? publish_dr_cb : tput_dr_cb,
                          &st);

        /* Every record is identical, so the argument vector is built once
         * (but for the job, set per message). */
        vus[0].vtype      = RD_KAFKA_VTYPE_TOPIC;
        vus[0].u.cstr     = topic;
        vus[1].vtype      = RD_KAFKA_VTYPE_VALUE;
        vus[1].u.mem.ptr  = payload;
        vus[1].u.mem.size = (size_t)size;
        vus[2].vtype      = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[2].u.i        = RD_KAFKA_MSG_F_COPY;
        vus[3].vtype      = RD_KAFKA_VTYPE_PARTITION;
        vus[3].u.i32      = RD_KAFKA_PARTITION_UA;
        vus[4].vtype      = RD_KAFKA_VTYPE_OPAQUE;
        vus[4].u.ptr      = NULL;

        cpu_start = cpu_now();
        start_ns  = now_ns();
        for (i = 0; i < count; i++) {
                struct publish_job *job = NULL;
                if (with_jobs) {
                        job = malloc(sizeof(*job) + (size_t)size);
                        if (!job) {
                                fprintf(stderr, "%s: out of memory\n", prog);
                                return 1;
                        }
                        job->broker_id   = "bench";
                        job->report      = count_report;
                        job->key_len     = 0;
                        job->payload_len = (size_t)size;
                        memcpy(job->data, payload, (size_t)size);
                        vus[4].u.ptr = job;
                }
                for (;;) {
                        rd_kafka_error_t *error =
                            rd_kafka_produceva(rk, vus, vu_cnt);
                        rd_kafka_resp_err_t code;

                        if (!error)
                                break;
                        code = rd_kafka_error_code(error);
                        rd_kafka_error_destroy(error);
                        if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                /* Let reports drain the queue, then retry
                                 * the same record. */
                                rd_kafka_poll(rk, 10);
                                continue;
                        }
                        /* Not retryable: it will get no report, so count
                         * it here to keep the flush loop's total right. */
                        free(job);
                        count_outcome(&st, code, "produce");
                        break;
                }
                rd_kafka_poll(rk, 0);
        }

        /* flush may return on its timeout with reports still due. */
        while (st.delivered + st.failed < count)
                rd_kafka_flush(rk, 1000);
        cpu_end = cpu_now();

        seconds = (double)(st.end_ns - start_ns) / 1e9;
        printf("mode=%s msgs=%ld delivered=%ld failed=%ld "
               "seconds=%.3f msgs_per_s=%.0f cpu_user_us=%" PRId64
               " cpu_sys_us=%" PRId64 " peak_rss_kb=%ld\n",
               mode, count, st.delivered, st.failed, seconds,
               seconds > 0 ? (double)st.delivered / seconds : 0.0,
               cpu_end.user_us - cpu_start.user_us,
               cpu_end.sys_us - cpu_start.sys_us, peak_rss_kb());
        fflush(stdout);

        rd_kafka_destroy(rk);
        free(payload);
        return st.failed == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* latency                                                             */

struct lat_state {
        uintptr_t expected; /* sequence number of the message in flight */
        int done;
        rd_kafka_resp_err_t err;
        int64_t end_ns;
};

static void lat_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        struct lat_state *st = opaque;
        int64_t t            = now_ns(); /* first, so the wake-up is all */
        (void)rk;

        /* Only one message is ever in flight, but check rather than trust. */
        if ((uintptr_t)m->_private != st->expected) {
                fprintf(stderr, "%s: report for message %" PRIuPTR
                        " while waiting for %" PRIuPTR "\n",
                        prog, (uintptr_t)m->_private, st->expected);
                return;
        }
        st->end_ns = t;
        st->err    = m->err;
        st->done   = 1;
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static int64_t percentile(const int64_t *sorted, long n, int pct) {
        long rank = (long)(((int64_t)n * pct + 99) / 100);
        if (rank < 1)
                rank = 1;
        return sorted[rank - 1];
}

/*
 * Produces message `seq` and waits for its report. Returns the latency in
 * nanoseconds, or -1 if the message failed.
 */
static int64_t produce_and_wait(rd_kafka_t *rk, struct lat_state *st,
                                rd_kafka_vu_t *vus, size_t vu_cnt,
                                uintptr_t seq) {
        int64_t start_ns;
        rd_kafka_error_t *error;

        st->expected = seq;
        st->done     = 0;
        vus[vu_cnt - 1].u.ptr = (void *)seq;

        start_ns = now_ns();
        while ((error = rd_kafka_produceva(rk, vus, vu_cnt))) {
                /* Cannot really happen with one message in flight. */
                if (rd_kafka_error_code(error) ==
                    RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        rd_kafka_error_destroy(error);
                        rd_kafka_poll(rk, 10);
                        continue;
                }
                fprintf(stderr, "%s: produce failed: %s\n", prog,
                        rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return -1;
        }
        while (!st->done)
                rd_kafka_poll(rk, 1000);
        if (st->err) {
                fprintf(stderr, "%s: delivery failed: %s\n", prog,
                        rd_kafka_err2str(st->err));
                return -1;
        }
        return st->end_ns - start_ns;
}

static int run_latency(const char *brokers, const char *topic, long count) {
        struct lat_state st = {0};
        char payload[LATENCY_PAYLOAD_SIZE];
        rd_kafka_vu_t vus[5];
        int64_t *lat_ns;
        struct cpu_time cpu_start, cpu_end;
        rd_kafka_t *rk;
        long i;

        lat_ns = malloc((size_t)count * sizeof(*lat_ns));
        if (!lat_ns) {
                fprintf(stderr, "%s: cannot allocate %ld samples\n", prog,
                        count);
                return 1;
        }
        memset(payload, 'x', sizeof(payload));

        /* Send each message at once instead of waiting to batch. */
        rk = new_producer(brokers, "0", lat_dr_cb, &st);

        vus[0].vtype      = RD_KAFKA_VTYPE_TOPIC;
        vus[0].u.cstr     = topic;
        vus[1].vtype      = RD_KAFKA_VTYPE_VALUE;
        vus[1].u.mem.ptr  = payload;
        vus[1].u.mem.size = sizeof(payload);
        vus[2].vtype      = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[2].u.i        = RD_KAFKA_MSG_F_COPY;
        vus[3].vtype      = RD_KAFKA_VTYPE_PARTITION;
        vus[3].u.i32      = RD_KAFKA_PARTITION_UA;
        vus[4].vtype      = RD_KAFKA_VTYPE_OPAQUE; /* set per message */
        vus[4].u.ptr      = NULL;

        /* Warm-up: metadata, connection and topic creation are not what
         * this mode measures. */
        if (produce_and_wait(rk, &st, vus, 5, 0) < 0) {
                rd_kafka_destroy(rk);
                free(lat_ns);
                return 1;
        }

        cpu_start = cpu_now();
        for (i = 0; i < count; i++) {
                int64_t ns = produce_and_wait(rk, &st, vus, 5, (uintptr_t)i + 1);
                if (ns < 0) {
                        rd_kafka_destroy(rk);
                        free(lat_ns);
                        return 1;
                }
                lat_ns[i] = ns;
        }
        cpu_end = cpu_now();

        qsort(lat_ns, (size_t)count, sizeof(*lat_ns), cmp_i64);
        printf("mode=latency msgs=%ld p50_us=%" PRId64 " p99_us=%" PRId64
               " cpu_user_us=%" PRId64 " cpu_sys_us=%" PRId64
               " peak_rss_kb=%ld\n",
               count, (percentile(lat_ns, count, 50) + 500) / 1000,
               (percentile(lat_ns, count, 99) + 500) / 1000,
               cpu_end.user_us - cpu_start.user_us,
               cpu_end.sys_us - cpu_start.sys_us, peak_rss_kb());
        fflush(stdout);

        rd_kafka_destroy(rk);
        free(lat_ns);
        return 0;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv) {
        const char *mode;

        if (argc < 2)
                usage();
        mode = argv[1];

        /* Two librdkafka builds are installed; say so if the loader picked
         * another one than the headers we compiled against. */
        if (rd_kafka_version() != RD_KAFKA_VERSION)
                fprintf(stderr,
                        "%s: warning: built against librdkafka 0x%08x but "
                        "running %s\n",
                        prog, RD_KAFKA_VERSION, rd_kafka_version_str());

        if (strcmp(mode, "throughput") == 0 || strcmp(mode, "publish") == 0) {
                if (argc != 6 || !*argv[2] || !*argv[3])
                        usage();
                return run_produce(
                    mode, argv[2], argv[3],
                    parse_long("COUNT", argv[4], 1, LONG_MAX),
                    parse_long("SIZE", argv[5], 0, MAX_SIZE),
                    strcmp(mode, "publish") == 0);
        }
        if (strcmp(mode, "latency") == 0) {
                if (argc != 5 || !*argv[2] || !*argv[3])
                        usage();
                return run_latency(argv[2], argv[3],
                                   parse_long("COUNT", argv[4], 1,
                                              100000000L));
        }
        usage();
        return 2;
}
