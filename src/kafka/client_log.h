// librdkafka's log lines, for every lakestream client, through one callback.
//
//  - While a client connects (until WaitForBroker succeeds) nothing is printed: its last
//    error is kept, and WaitForBroker's message ends with it.
//  - After that, errors are printed as "lakestream: kafka: <text>", each distinct text
//    (RepeatKey) at most once per 30 s with the count of repeats: a broker that stays
//    down is logged on every reconnect attempt, many times a second. "N/N brokers are
//    down" (it only follows the error that says why) and warnings (states librdkafka
//    retries by itself, e.g. a coordinator still loading) are not printed.
//  - With -X debug=... every line is printed as it comes, in librdkafka's own format.
//
// Thread-safety: the callback runs on librdkafka's threads; all state is behind one mutex.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace lakestream::kafka {

// Routes `conf`'s log lines here (ClientConfig::Build does it for every client).
void InstallClientLog(rd_kafka_conf_t* conf, bool echo_all);
// The client answered: from now on its errors are printed.
void MarkConnected(const rd_kafka_t* handle);
// The last error-level line the client logged (not "N/N brokers are down", which only
// follows the one that says why), without librdkafka's prefixes.
std::string LastClientError(const rd_kafka_t* handle);
// The handle is destroyed: drop what is kept for it.
void ForgetClient(const rd_kafka_t* handle);
// Lines not printed because the same text was printed less than 30 s before (all clients).
uint64_t SuppressedLogLines();
// What makes two error lines "the same text": the text without its digits and without
// librdkafka's own repeat count (", 3 identical error(s) suppressed").
std::string RepeatKey(std::string_view text);

}  // namespace lakestream::kafka
