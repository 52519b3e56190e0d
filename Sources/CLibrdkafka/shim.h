#ifndef CLIBRDKAFKA_SHIM_H
#define CLIBRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#endif
