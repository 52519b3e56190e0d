import CLibrdkafka
import Logging
import MetricsTestKit
import Testing

@testable import KafkaKit

/// Decoding librdkafka's statistics and turning them into metric updates, on captured
/// documents (``StatisticsSamples``): no broker, no client.
@Suite("Metrics: statistics decoding and accumulating")
struct MetricsStatisticsTests {
    typealias Accumulator = RDKafkaStatisticsAccumulator

    static func decode(_ json: String) throws -> RDKafkaStatistics {
        try RDKafkaStatistics.decode(Array(json.utf8))
    }

    static let broker1 = "127.0.0.1:34647/1"
    static let broker2 = "127.0.0.1:33129/2"
    static let broker3 = "127.0.0.1:38193/3"

    @Test("a producer's document decodes to its totals, brokers and windows")
    func decodesProducer() throws {
        let statistics = try Self.decode(StatisticsSamples.producerSent90)
        #expect(statistics.type == "producer")
        #expect(statistics.messagesSent == 90)
        #expect(statistics.messageBytesSent == 900)
        #expect(statistics.messagesReceived == 0)
        #expect(statistics.queuedMessages == 0)
        #expect(Set(statistics.brokers.keys) == [Self.broker1, Self.broker2, Self.broker3])
        let broker2 = try #require(statistics.brokers[Self.broker2])
        #expect(broker2.source == "learned")
        #expect(broker2.state == "UP")
        #expect(broker2.rtt == .init(avg: 85, p99: 114))
        #expect(broker2.outbufLatency == .init(avg: 22, p99: 38))
        // A producer's partitions (including librdkafka's -1) are never `desired`.
        #expect(statistics.topics["orders"]?.partitions.count == 4)
        #expect(statistics.topics["orders"]?.partitions.values.allSatisfy { !$0.desired } == true)
        #expect(statistics.group == nil)
    }

    @Test("a group consumer's document decodes to its group, partitions and lag")
    func decodesConsumer() throws {
        let statistics = try Self.decode(StatisticsSamples.consumerLagging)
        #expect(statistics.type == "consumer")
        #expect(statistics.messagesReceived == 40)
        #expect(statistics.messageBytesReceived == 400)
        #expect(statistics.group == .init(rebalances: 1, assignmentSize: 4))
        #expect(statistics.brokers["GroupCoordinator"]?.source == "logical")
        let partitions = try #require(statistics.topics.first?.value.partitions)
        #expect(partitions["0"] == .init(partition: 0, desired: true, consumerLag: 37, consumerLagStored: 37,
                                          fetchQueueMessages: 37, fetchQueueBytes: 370))
        #expect(partitions["1"]?.consumerLag == -1)
        #expect(partitions["-1"]?.desired == false)
    }

    @Test("every captured document decodes")
    func decodesAll() throws {
        for sample in [
            StatisticsSamples.producerStarting, StatisticsSamples.producerSent90, StatisticsSamples.producerQueued30,
            StatisticsSamples.producerTimedOut, StatisticsSamples.producerBrokerGone, StatisticsSamples.consumerAssigned,
            StatisticsSamples.consumerLagging, StatisticsSamples.consumerLagShrinking,
        ] {
            _ = try Self.decode(sample)
        }
    }

    @Test("missing fields read as zero or unknown; what is not JSON throws")
    func missingFields() throws {
        let empty = try Self.decode("{}")
        #expect(empty == RDKafkaStatistics())
        let partial = try Self.decode(#"{"type":"consumer","brokers":{"b/1":{"state":"UP"}},"topics":{"t":{"partitions":{"0":{"partition":0,"desired":true}}}}}"#)
        #expect(partial.brokers["b/1"]?.rtt == .init())
        #expect(partial.topics["t"]?.partitions["0"]?.consumerLag == -1)
        #expect(throws: (any Error).self) { try Self.decode("not json") }
        #expect(throws: (any Error).self) { try Self.decode(#"{"txmsgs":"many"}"#) }
    }

    @Test("the scanner reads escaped names, skips values of every kind, and never misreads a cut document")
    func scanner() throws {
        let statistics = try Self.decode(#"""
            { "type" : "consumer", "skipped": [1, -2.5e3, "x\"]}", {"a": [true, false, null]}, [[]]], "txmsgs": 7.0,
              "topics": { "we\"ird\u00e9\/t": { "partitions": { "0": { "partition": 0, "desired": true, "consumer_lag": 12 } } } } }
            """#)
        #expect(statistics.type == "consumer")
        #expect(statistics.messagesSent == 7)
        #expect(statistics.topics["we\"irdé/t"]?.partitions["0"]?.consumerLag == 12)
        // Every strict prefix of a real document is refused, not read as something else.
        let bytes = Array(StatisticsSamples.consumerLagging.utf8)
        for end in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: RDKafkaStatisticsScanner.Failure.self, "prefix of \(end) bytes") {
                try RDKafkaStatistics.decode(Array(bytes[..<end]))
            }
        }
        // Deep nesting in a skipped value: no recursion, no crash.
        let deep = "{\"x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ",\"rxmsgs\":3}"
        #expect(try Self.decode(deep).messagesReceived == 3)
        for bad in ["{\"txmsgs\": }", "{\"txmsgs\": 1} x", "{\"desired\"", "[1]", "{\"brokers\": {\"b\": 5}}"] {
            #expect(throws: RDKafkaStatisticsScanner.Failure.self, "\(bad)") { try Self.decode(bad) }
        }
    }

    @Test("a producer's documents in turn: counters grow by the difference, gauges follow, brokers come and go")
    func producerSequence() throws {
        var accumulator = Accumulator()
        let start = accumulator.update(with: try Self.decode(StatisticsSamples.producerStarting))
        #expect(start.messagesSent == 0)
        #expect(start.brokersAppeared == [Self.broker2, Self.broker1, Self.broker3].sorted())
        #expect(start.brokers.map(\.state) == [0, 0, 0])  // INIT

        let sent = accumulator.update(with: try Self.decode(StatisticsSamples.producerSent90))
        #expect(sent.messagesSent == 90)
        #expect(sent.messageBytesSent == 900)
        #expect(sent.brokersAppeared.isEmpty && sent.brokersGone.isEmpty)
        #expect(sent.brokers.map(\.state) == [2, 2, 2])  // UP
        #expect(sent.brokers.first { $0.name == Self.broker1 } == .init(
            name: Self.broker1, state: 2, rttAverage: 148, rttP99: 699, outbufLatencyAverage: 56, outbufLatencyP99: 111))

        let queued = accumulator.update(with: try Self.decode(StatisticsSamples.producerQueued30))
        #expect(queued.messagesSent == 30)
        #expect(queued.queuedMessages == 30)
        #expect(queued.queuedBytes == 300)
        #expect(queued.requestTimeouts == 0)

        let timedOut = accumulator.update(with: try Self.decode(StatisticsSamples.producerTimedOut))
        #expect(timedOut.messagesSent == 30)  // sent again after the timeout: 150 transmitted in all
        #expect(timedOut.requestTimeouts == 1)
        #expect(timedOut.requestErrors == 0)
        #expect(timedOut.queuedMessages == 0)

        let gone = accumulator.update(with: try Self.decode(StatisticsSamples.producerBrokerGone))
        #expect(gone.brokersGone == [Self.broker3])
        #expect(gone.brokers.map(\.name) == [Self.broker2, Self.broker1].sorted())
        #expect(gone.messagesSent == 0)
        #expect(gone.requestTimeouts == 0)  // broker 2's total is still 1

        let total = [start, sent, queued, timedOut, gone].map(\.messagesSent).reduce(0, +)
        #expect(total == 150)
    }

    @Test("a document seen twice adds nothing; one skipped loses nothing")
    func repeatsAndSkips() throws {
        var accumulator = Accumulator()
        _ = accumulator.update(with: try Self.decode(StatisticsSamples.producerStarting))
        let skipping = accumulator.update(with: try Self.decode(StatisticsSamples.producerTimedOut))
        #expect(skipping.messagesSent == 150)
        #expect(skipping.requestTimeouts == 1)
        let again = accumulator.update(with: try Self.decode(StatisticsSamples.producerTimedOut))
        #expect(again.messagesSent == 0 && again.messageBytesSent == 0 && again.requestTimeouts == 0)
    }

    @Test("a total that starts again (a broker made anew) counts from zero, never backwards")
    func totalsStartingAgain() throws {
        #expect(Accumulator.growth(from: 10, to: 15) == 5)
        #expect(Accumulator.growth(from: 10, to: 3) == 3)
        #expect(Accumulator.growth(from: 0, to: 0) == 0)
        #expect(Accumulator.growth(from: 5, to: -1) == 0)

        var accumulator = Accumulator()
        func document(timeouts: Int) throws -> RDKafkaStatistics {
            try Self.decode(#"{"brokers":{"b:1/1":{"source":"learned","state":"UP","req_timeouts":\#(timeouts),"txerrs":\#(timeouts),"rxerrs":1}}}"#)
        }
        #expect(accumulator.update(with: try document(timeouts: 4)).requestTimeouts == 4)
        let restarted = accumulator.update(with: try document(timeouts: 2))
        #expect(restarted.requestTimeouts == 2)
        #expect(restarted.requestErrors == 3)  // txerrs + rxerrs: 5 before, 3 now (made anew: all new)
        #expect(accumulator.update(with: try document(timeouts: 7)).requestTimeouts == 5)
    }

    @Test("librdkafka's internal pseudo-broker is left out")
    func internalBroker() throws {
        var accumulator = Accumulator()
        let update = accumulator.update(with: try Self.decode(
            #"{"brokers":{":0/internal":{"source":"internal","state":"UP","txerrs":3},"b:1/1":{"source":"configured","state":"CONNECT"}}}"#))
        #expect(update.brokersAppeared == ["b:1/1"])
        #expect(update.brokers.map(\.state) == [1])
        #expect(update.requestErrors == 0)
    }

    @Test("broker states have the documented encoding")
    func brokerStates() {
        for state in ["INIT", "DOWN"] { #expect(Accumulator.brokerState(state) == 0, "\(state)") }
        for state in ["TRY_CONNECT", "CONNECT", "SSL_HANDSHAKE", "AUTH_LEGACY", "AUTH_HANDSHAKE", "AUTH_REQ", "APIVERSION_QUERY", "REAUTH"] {
            #expect(Accumulator.brokerState(state) == 1, "\(state)")
        }
        for state in ["UP", "UPDATE"] { #expect(Accumulator.brokerState(state) == 2, "\(state)") }
        #expect(Accumulator.brokerState("SOMETHING_NEW") == -1)
    }

    @Test("a consumer's documents: consumed partitions appear once, lag follows, unknown lag stays unknown")
    func consumerSequence() throws {
        var accumulator = Accumulator()
        let first = accumulator.update(with: try Self.decode(StatisticsSamples.consumerLagging))
        let topic = try #require(first.partitions.first?.key.topic)
        #expect(first.partitionsAppeared == (0..<4).map { Accumulator.PartitionKey(topic: topic, partition: $0) })
        #expect(first.messagesReceived == 40)
        #expect(first.rebalances == 1)
        #expect(first.assignedPartitions == 4)
        #expect(first.partitions[0] == .init(key: .init(topic: topic, partition: 0), lag: 37, storedLag: 37, fetchQueueMessages: 37, fetchQueueBytes: 370))
        #expect(first.partitions[1].lag == nil && first.partitions[1].storedLag == nil)

        let second = accumulator.update(with: try Self.decode(StatisticsSamples.consumerLagShrinking))
        #expect(second.partitionsAppeared.isEmpty && second.partitionsGone.isEmpty)
        #expect(second.partitions[0].lag == 34)
        #expect(second.messagesReceived == 0)
        #expect(second.rebalances == 0)

        // Another assignment: the old partitions go, the new ones come.
        let moved = accumulator.update(with: try Self.decode(StatisticsSamples.consumerAssigned))
        #expect(moved.partitionsGone.count == 4)
        #expect(moved.partitionsAppeared == (0..<3).map { Accumulator.PartitionKey(topic: "orders", partition: $0) })
        #expect(moved.brokers.map(\.name).contains("GroupCoordinator"))
    }

    @Test("drain scheduling: one drain at a time, a wake-up during a drain makes it look again")
    func drainState() {
        var state = RDKafkaMainQueueDrainState()
        #expect(state.signal() == .scheduleDrain)
        #expect(state.signal() == .none)
        #expect(state.signal() == .none)
        #expect(state.drained() == .drainAgain)
        #expect(state.drained() == .done)
        #expect(state.signal() == .scheduleDrain)
        #expect(state.drained() == .done)
        #expect(state.drained() == .done)
    }
}

/// The metric objects: names, dimensions, values, creation once and destruction, with
/// swift-metrics' `TestMetrics` (one per test: the global system is never bootstrapped).
@Suite("Metrics: metric objects")
struct MetricsObjectTests {
    static func metrics(_ kind: RDKafkaMetrics.Kind, _ factory: TestMetrics, dimensions: [(String, String)] = []) -> RDKafkaMetrics {
        RDKafkaMetrics(
            options: KafkaMetricsOptions(factory: factory, dimensions: dimensions),
            clientID: "sample", kind: kind, logger: Logger(label: "test"))
    }

    static func feed(_ metrics: RDKafkaMetrics, _ samples: String...) {
        for sample in samples { metrics.process(Array(sample.utf8)) }
    }

    @Test("a producer's metrics: names, dimensions and values from its documents")
    func producerMetrics() throws {
        let factory = TestMetrics()
        let metrics = Self.metrics(.producer, factory, dimensions: [("service", "orders")])
        let client = [("service", "orders"), ("client.id", "sample")]
        Self.feed(metrics, StatisticsSamples.producerStarting, StatisticsSamples.producerSent90, StatisticsSamples.producerQueued30)
        #expect(try factory.expectCounter("kafka.producer.messages.sent", client).totalValue == 120)
        #expect(try factory.expectCounter("kafka.producer.bytes.sent", client).totalValue == 1200)
        #expect(try factory.expectGauge("kafka.producer.queue.messages", client).lastValue == 30)
        #expect(try factory.expectGauge("kafka.producer.queue.bytes", client).lastValue == 300)
        #expect(try factory.expectGauge("kafka.producer.reply.queue", client).lastValue == 0)
        #expect(try factory.expectCounter("kafka.producer.request.timeouts", client).totalValue == 0)
        let broker1 = client + [("broker", MetricsStatisticsTests.broker1)]
        #expect(try factory.expectGauge("kafka.producer.broker.state", broker1).values == [0, 2, 2])
        #expect(try factory.expectGauge("kafka.producer.broker.rtt.avg", broker1).values[1] == 0.000148)
        #expect(try factory.expectGauge("kafka.producer.broker.rtt.p99", broker1).values[1] == 0.000699)
        #expect(try factory.expectGauge("kafka.producer.broker.outbuf.latency.avg", broker1).values[1] == 0.000056)
        #expect(try factory.expectGauge("kafka.producer.broker.outbuf.latency.p99", broker1).values[1] == 0.000111)
        // Consumer metrics are not made for a producer.
        #expect(factory.counters(label: "kafka.producer.messages.received").isEmpty)
        #expect(factory.recorders.allSatisfy { !$0.label.hasPrefix("kafka.consumer.") })

        Self.feed(metrics, StatisticsSamples.producerTimedOut, StatisticsSamples.producerBrokerGone)
        #expect(try factory.expectCounter("kafka.producer.messages.sent", client).totalValue == 150)
        #expect(try factory.expectCounter("kafka.producer.request.timeouts", client).totalValue == 1)
        // A vanished broker's metrics are destroyed; the others' stay.
        let broker3 = client + [("broker", MetricsStatisticsTests.broker3)]
        #expect(throws: (any Error).self) { try factory.expectGauge("kafka.producer.broker.state", broker3) }
        #expect(try factory.expectGauge("kafka.producer.broker.state", broker1).lastValue == 2)
        // Five gauges per broker, made once: two brokers left.
        #expect(factory.recorders.filter { $0.label.hasPrefix("kafka.producer.broker.") }.count == 10)
        // KafkaKit's own processing time: one duration per document.
        let processing = try factory.expectTimer("kafka.producer.statistics.processing", client)
        #expect(processing.values.count == 5)
        #expect(processing.values.allSatisfy { $0 > 0 })
    }

    @Test("a group consumer's metrics: per partition, per group, per broker")
    func consumerMetrics() throws {
        let factory = TestMetrics()
        let metrics = Self.metrics(.consumer, factory)
        let client = [("client.id", "sample")]
        Self.feed(metrics, StatisticsSamples.consumerLagging, StatisticsSamples.consumerLagShrinking)
        let topic = try #require(try MetricsStatisticsTests.decode(StatisticsSamples.consumerLagging).topics.keys.first)
        let partition0 = client + [("topic", topic), ("partition", "0")]
        #expect(try factory.expectGauge("kafka.consumer.lag", partition0).values == [37, 34])
        #expect(try factory.expectGauge("kafka.consumer.lag.stored", partition0).values == [37, 34])
        #expect(try factory.expectGauge("kafka.consumer.fetch.queue.messages", partition0).values == [37, 34])
        #expect(try factory.expectGauge("kafka.consumer.fetch.queue.bytes", partition0).values == [370, 340])
        // Unknown lag: the gauge exists, with no value.
        #expect(try factory.expectGauge("kafka.consumer.lag", client + [("topic", topic), ("partition", "3")]).values.isEmpty)
        #expect(try factory.expectCounter("kafka.consumer.messages.received", client).totalValue == 40)
        #expect(try factory.expectCounter("kafka.consumer.bytes.received", client).totalValue == 400)
        #expect(try factory.expectCounter("kafka.consumer.group.rebalances", client).totalValue == 1)
        #expect(try factory.expectGauge("kafka.consumer.group.assignment.partitions", client).lastValue == 4)
        #expect(try factory.expectGauge("kafka.consumer.broker.state", client + [("broker", "GroupCoordinator")]).lastValue == 2)
        // Producer metrics are not made for a consumer.
        #expect(factory.counters(label: "kafka.consumer.messages.sent").isEmpty)
        #expect(factory.recorders(label: "kafka.consumer.queue.messages").isEmpty)

        // The assignment moves: the old partitions' gauges are destroyed.
        Self.feed(metrics, StatisticsSamples.consumerAssigned)
        #expect(throws: (any Error).self) { try factory.expectGauge("kafka.consumer.lag", partition0) }
        #expect(factory.recorders(label: "kafka.consumer.lag").count == 3)
    }

    @Test("a partition consumer has no group metrics; an admin client no message metrics")
    func otherKinds() throws {
        let factory = TestMetrics()
        let partitionConsumer = Self.metrics(.partitionConsumer, factory)
        Self.feed(partitionConsumer, StatisticsSamples.consumerLagging)
        #expect(factory.counters(label: "kafka.consumer.group.rebalances").isEmpty)
        #expect(try factory.expectCounter("kafka.consumer.messages.received", [("client.id", "sample")]).totalValue == 40)

        let adminFactory = TestMetrics()
        let admin = Self.metrics(.admin, adminFactory)
        Self.feed(admin, StatisticsSamples.producerSent90)
        #expect(Set(adminFactory.counters.map(\.label)) == ["kafka.admin.request.errors", "kafka.admin.request.timeouts"])
        #expect(adminFactory.recorders(label: "kafka.admin.broker.state").count == 3)
        #expect(adminFactory.recorders(label: "kafka.admin.queue.messages").isEmpty)
    }

    @Test("delivery failures are counted by error code; queue-full waits and timeouts by queue")
    func ownCounters() throws {
        let factory = TestMetrics()
        let metrics = Self.metrics(.producer, factory)
        var tally = RDKafkaFailureTally(metrics: metrics)
        for error in [RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT] {
            tally.add(error)
        }
        tally.flush()
        tally.flush()  // nothing left to hand over
        let client = [("client.id", "sample")]
        #expect(try factory.expectCounter("kafka.producer.delivery.failures", client + [("error.code", "_MSG_TIMED_OUT")]).totalValue == 3)
        #expect(try factory.expectCounter("kafka.producer.delivery.failures", client + [("error.code", "_PURGE_QUEUE")]).totalValue == 1)
        #expect(factory.counters(label: "kafka.producer.delivery.failures").count == 2)

        metrics.queueFullWaited(eventBuffer: false)
        metrics.queueFullWaited(eventBuffer: false)
        metrics.queueFullWaited(eventBuffer: true)
        metrics.queueFullTimedOut(eventBuffer: false)
        #expect(try factory.expectCounter("kafka.producer.queue.full.waits", client + [("queue", "local")]).totalValue == 2)
        #expect(try factory.expectCounter("kafka.producer.queue.full.waits", client + [("queue", "events")]).totalValue == 1)
        #expect(try factory.expectCounter("kafka.producer.queue.full.timeouts", client + [("queue", "local")]).totalValue == 1)
        #expect(try factory.expectCounter("kafka.producer.queue.full.timeouts", client + [("queue", "events")]).totalValue == 0)

        // Without metrics the tally does nothing.
        var off = RDKafkaFailureTally(metrics: nil)
        off.add(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        off.flush()
    }

    @Test("every metric of a client is destroyed with it")
    func destroyedWithClient() throws {
        let factory = TestMetrics()
        var metrics: RDKafkaMetrics? = Self.metrics(.consumer, factory)
        Self.feed(metrics!, StatisticsSamples.consumerLagging)
        #expect(!factory.recorders.isEmpty && !factory.counters.isEmpty)
        metrics = nil
        #expect(factory.recorders.isEmpty)
        #expect(factory.counters.isEmpty)
        #expect(factory.timers.isEmpty)

        let producerFactory = TestMetrics()
        var producer: RDKafkaMetrics? = Self.metrics(.producer, producerFactory)
        producer!.deliveryFailed(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue, count: 1)
        Self.feed(producer!, StatisticsSamples.producerSent90)
        producer = nil
        #expect(producerFactory.recorders.isEmpty)
        #expect(producerFactory.counters.isEmpty)
        #expect(producerFactory.timers.isEmpty)
    }

    @Test("a document that is not understood changes nothing")
    func notUnderstood() throws {
        let factory = TestMetrics()
        let metrics = Self.metrics(.producer, factory)
        Self.feed(metrics, "{\"txmsgs\": 5", StatisticsSamples.producerSent90)
        #expect(try factory.expectCounter("kafka.producer.messages.sent", [("client.id", "sample")]).totalValue == 90)
        #expect(try factory.expectTimer("kafka.producer.statistics.processing", [("client.id", "sample")]).values.count == 1)
    }

    @Test("submitted documents are processed off the caller's thread; a newer one replaces one still waiting")
    func submitted() async throws {
        let factory = TestMetrics()
        let metrics = Self.metrics(.producer, factory)
        for sample in [StatisticsSamples.producerStarting, StatisticsSamples.producerSent90, StatisticsSamples.producerTimedOut] {
            sample.withCString { metrics.submit(statistics: $0) }
        }
        // Whatever was skipped, the totals end where the newest document says.
        await withCheckedContinuation { continuation in RDKafkaMetrics.processingQueue.async { continuation.resume() } }
        #expect(try factory.expectCounter("kafka.producer.messages.sent", [("client.id", "sample")]).totalValue == 150)
    }
}

@Suite("Metrics: configuration")
struct MetricsConfigurationTests {
    @Test("metrics set statistics.interval.ms unless it is set; off, nothing is set")
    func interval() throws {
        var configuration = KafkaConfiguration()
        try configuration.applyMetricsInterval()
        #expect(configuration["statistics.interval.ms"] == nil)
        #expect(!configuration.emitsStatistics)

        configuration.metrics = KafkaMetricsOptions(interval: .milliseconds(250))
        var applied = configuration
        try applied.applyMetricsInterval()
        #expect(applied["statistics.interval.ms"] == "250")
        #expect(applied.emitsStatistics)

        configuration["statistics.interval.ms"] = "5000"
        applied = configuration
        try applied.applyMetricsInterval()
        #expect(applied["statistics.interval.ms"] == "5000")
    }

    @Test("statistics turned off explicitly, or an interval librdkafka cannot take, is refused naming it")
    func refused() throws {
        var configuration = KafkaConfiguration()
        configuration.metrics = KafkaMetricsOptions()
        configuration["statistics.interval.ms"] = "0"
        var error = #expect(throws: KafkaError.self) { try configuration.applyMetricsInterval() }
        #expect(error?.property == "statistics.interval.ms")
        #expect(error?.code == .invalidArgument)

        for interval in [Duration.zero, .microseconds(500), .seconds(86_401)] {
            var configuration = KafkaConfiguration()
            configuration.metrics = KafkaMetricsOptions(interval: interval)
            error = #expect(throws: KafkaError.self) { try configuration.applyMetricsInterval() }
            #expect(error?.property == "metrics.interval", "\(interval)")
        }
        // At client creation, too.
        var bad = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        bad.metrics = KafkaMetricsOptions(interval: .zero)
        error = #expect(throws: KafkaError.self) { _ = try KafkaAdminClient(configuration: bad) }
        #expect(error?.property == "metrics.interval")
    }

    @Test("options compare by interval, dimensions and the factory value they were given")
    func equality() {
        let factory = TestMetrics()
        let a = KafkaMetricsOptions(factory: factory, dimensions: [("a", "1")])
        let copy = a
        #expect(a == copy)
        #expect(a.hashValue == copy.hashValue)
        #expect(a != KafkaMetricsOptions(factory: factory, dimensions: [("a", "1")]))  // another box
        #expect(KafkaMetricsOptions() == KafkaMetricsOptions())
        #expect(KafkaMetricsOptions() != KafkaMetricsOptions(interval: .seconds(2)))
        #expect(KafkaMetricsOptions(dimensions: [("a", "1")]) != KafkaMetricsOptions(dimensions: [("a", "2")]))
        var configuration = KafkaConfiguration()
        configuration.metrics = a
        #expect(configuration != KafkaConfiguration())
        #expect("\(a)".contains("a=1"))
    }
}
