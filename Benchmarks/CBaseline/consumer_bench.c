/*
 * Baseline for the KafkaKit consumer benchmark: the same work as
 * Benchmarks/ConsumerBenchmark done with librdkafka's C API alone, so that the
 * Swift numbers have a reference on the same library, broker and machine.
 *
 *   consumer_bench BROKERS TOPIC COUNT
 *
 * Reads COUNT records of TOPIC from the beginning of every partition with a
 * high-level consumer (fresh group, partitions assigned rather than
 * subscribed, nothing committed) in batches from the consumer queue, and
 * prints exactly one line to stdout (the format scripts/bench parses):
 *
 *   mode=consume msgs=N bytes=N seconds=S msgs_per_s=N cpu_user_us=N
 *   cpu_sys_us=N peak_rss_kb=N
 *
 * The clock runs from the first record received to the COUNT-th; the CPU
 * times (getrusage(RUSAGE_SELF), every thread) cover the same span, and
 * peak_rss_kb is ru_maxrss of the whole run. Diagnostics
 * go to stderr. Exit status: 0 done, 1 failure (including 30 s without a
 * record), 2 usage.
 *
 * Build:
 *   cc -O2 -Wall -o Benchmarks/CBaseline/bin/consumer_bench \
 *      Benchmarks/CBaseline/consumer_bench.c $(pkg-config --cflags --libs rdkafka)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_usage.h"

#define BATCH_SIZE 1024
#define BATCH_TIMEOUT_MS 1000
/* Give up after this long without a record (or without the topic). */
#define STALL_NS (30 * (int64_t)1000000000)
#define METADATA_TIMEOUT_MS 5000
#define ERRSTR_SIZE 512

static const char *prog = "consumer_bench";

static void usage(void) {
        fprintf(stderr,
                "usage: %s BROKERS TOPIC COUNT\n"
                "  COUNT: number of messages to read (>= 1)\n",
                prog);
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

static rd_kafka_t *new_consumer(const char *brokers) {
        char errstr[ERRSTR_SIZE];
        char group[64];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        /* A group of its own, so no earlier run's offsets or members
         * matter (nothing is committed anyway). */
        snprintf(group, sizeof(group), "bench-c-%ld-%ld", (long)getpid(),
                 (long)time(NULL));
        conf_set(conf, "bootstrap.servers", brokers);
        conf_set(conf, "group.id", group);
        conf_set(conf, "enable.auto.commit", "false");
        conf_set(conf, "auto.offset.reset", "earliest");
        /* The default (1000 ms) makes a fetcher that is ahead of its
         * prefetch limit sleep a whole second; the Swift side uses 10 too. */
        conf_set(conf, "fetch.queue.backoff.ms", "10");
        conf_set(conf, "log_level", "3");

        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "%s: cannot create consumer: %s\n", prog,
                        errstr);
                rd_kafka_conf_destroy(conf);
                exit(1);
        }
        /* Everything (including the main queue) is served through the
         * consumer queue. */
        rd_kafka_poll_set_consumer(rk);
        return rk;
}

/*
 * The topic's partition count, asking again until the broker knows the topic
 * and it has partitions. Returns -1 after STALL_NS without that.
 */
static int partition_count(rd_kafka_t *rk, const char *topic) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int64_t deadline      = now_ns() + STALL_NS;
        rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
        int cnt                  = -1;

        if (!rkt) {
                fprintf(stderr, "%s: cannot create topic handle for %s: %s\n",
                        prog, topic, rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        for (;;) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_resp_err_t err =
                    rd_kafka_metadata(rk, 0, rkt, &md, METADATA_TIMEOUT_MS);

                if (!err) {
                        if (md->topic_cnt == 1 && !md->topics[0].err &&
                            md->topics[0].partition_cnt > 0)
                                cnt = md->topics[0].partition_cnt;
                        else if (md->topic_cnt == 1)
                                err = md->topics[0].err;
                        rd_kafka_metadata_destroy(md);
                }
                if (cnt > 0)
                        break;
                last = err;
                if (now_ns() >= deadline) {
                        fprintf(stderr,
                                "%s: topic %s has no partitions after 30 s "
                                "(last error: %s)\n",
                                prog, topic,
                                last ? rd_kafka_err2str(last) : "none");
                        break;
                }
                {
                        struct timespec ts = {0, 100 * 1000000L};
                        nanosleep(&ts, NULL);
                }
        }
        rd_kafka_topic_destroy(rkt);
        return cnt;
}

static int assign_all(rd_kafka_t *rk, const char *topic, int partitions) {
        rd_kafka_topic_partition_list_t *list =
            rd_kafka_topic_partition_list_new(partitions);
        rd_kafka_resp_err_t err;
        int p;

        for (p = 0; p < partitions; p++)
                rd_kafka_topic_partition_list_add(list, topic, p)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        err = rd_kafka_assign(rk, list);
        rd_kafka_topic_partition_list_destroy(list);
        if (err) {
                fprintf(stderr, "%s: cannot assign %s: %s\n", prog, topic,
                        rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static int run_consume(const char *brokers, const char *topic, long count) {
        rd_kafka_message_t *msgs[BATCH_SIZE];
        rd_kafka_queue_t *rkqu;
        rd_kafka_t *rk;
        long read = 0, errors = 0;
        unsigned long long bytes = 0;
        int64_t start_ns = 0, end_ns = 0, progress_ns;
        struct cpu_time cpu_start = {0, 0}, cpu_end = {0, 0};
        double seconds;
        int partitions, status = 0;

        rk         = new_consumer(brokers);
        partitions = partition_count(rk, topic);
        if (partitions < 0 || assign_all(rk, topic, partitions) < 0) {
                rd_kafka_destroy(rk);
                return 1;
        }

        rkqu        = rd_kafka_queue_get_consumer(rk);
        progress_ns = now_ns();
        while (read < count) {
                /* Ask for no more than is still due, so a topic holding more
                 * than COUNT records is not over-read. */
                size_t want = count - read < BATCH_SIZE ? (size_t)(count - read)
                                                        : BATCH_SIZE;
                ssize_t n   = rd_kafka_consume_batch_queue(
                    rkqu, BATCH_TIMEOUT_MS, msgs, want);
                long before = read;
                int64_t t;
                ssize_t i;

                if (n < 0) {
                        fprintf(stderr, "%s: consume failed: %s\n", prog,
                                rd_kafka_err2str(rd_kafka_last_error()));
                        status = 1;
                        break;
                }
                for (i = 0; i < n; i++) {
                        rd_kafka_message_t *m = msgs[i];

                        if (m->err) {
                                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                                    errors++ == 0)
                                        fprintf(stderr,
                                                "%s: consume error: %s\n", prog,
                                                rd_kafka_message_errstr(m));
                        } else {
                                bytes += m->len;
                                read++;
                        }
                        rd_kafka_message_destroy(m);
                }

                t = now_ns();
                if (read > before) {
                        /* The first batch sets the start: the clock
                         * measures reading, not connecting and fetching
                         * the first record. */
                        if (before == 0) {
                                start_ns  = t;
                                cpu_start = cpu_now();
                        }
                        if (read == count) {
                                end_ns  = t;
                                cpu_end = cpu_now();
                        }
                        progress_ns = t;
                } else if (t - progress_ns >= STALL_NS) {
                        fprintf(stderr,
                                "%s: no message for 30 s; read %ld of %ld "
                                "(bytes=%llu errors=%ld) from %s (%d "
                                "partitions)\n",
                                prog, read, count, bytes, errors, topic,
                                partitions);
                        status = 1;
                        break;
                }
        }
        rd_kafka_queue_destroy(rkqu);

        if (status == 0) {
                seconds = (double)(end_ns - start_ns) / 1e9;
                printf("mode=consume msgs=%ld bytes=%llu seconds=%.3f "
                       "msgs_per_s=%.0f cpu_user_us=%lld cpu_sys_us=%lld "
                       "peak_rss_kb=%ld\n",
                       read, bytes, seconds,
                       seconds > 0 ? (double)read / seconds : 0.0,
                       (long long)(cpu_end.user_us - cpu_start.user_us),
                       (long long)(cpu_end.sys_us - cpu_start.sys_us),
                       peak_rss_kb());
                fflush(stdout);
                if (errors)
                        fprintf(stderr, "%s: %ld consume errors skipped\n",
                                prog, errors);
        }

        {
                rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk);
                if (err)
                        fprintf(stderr, "%s: close: %s\n", prog,
                                rd_kafka_err2str(err));
        }
        rd_kafka_destroy(rk);
        return status;
}

int main(int argc, char **argv) {
        if (argc != 4 || !*argv[1] || !*argv[2])
                usage();

        /* Two librdkafka builds are installed; say so if the loader picked
         * another one than the headers we compiled against. */
        if (rd_kafka_version() != RD_KAFKA_VERSION)
                fprintf(stderr,
                        "%s: warning: built against librdkafka 0x%08x but "
                        "running %s\n",
                        prog, RD_KAFKA_VERSION, rd_kafka_version_str());

        return run_consume(argv[1], argv[2],
                           parse_long("COUNT", argv[3], 1, LONG_MAX));
}
