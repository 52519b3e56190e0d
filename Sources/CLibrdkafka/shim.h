#ifndef CLIBRDKAFKA_SHIM_H
#define CLIBRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* rd_kafka_mock_broker_push_request_error_rtts is variadic, which Swift cannot call: one
   error with its response delay, for the tests' fault injection. */
static inline rd_kafka_resp_err_t kafkakit_mock_broker_push_request_error_rtt(
    rd_kafka_mock_cluster_t *cluster, int32_t broker_id, int16_t api_key,
    rd_kafka_resp_err_t err, int rtt_ms) {
    return rd_kafka_mock_broker_push_request_error_rtts(cluster, broker_id, api_key, 1, err, rtt_ms);
}

#endif
