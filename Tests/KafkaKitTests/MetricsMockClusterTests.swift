import CLibrdkafka
import KafkaKitTestSupport
import Logging
import Metrics
import MetricsTestKit
import Testing

@testable import KafkaKit

/// Every client kind's metrics fed by real statistics, on librdkafka's mock cluster. Each test
/// gives its clients a `TestMetrics` of their own; nobody iterates any client's events.
@Suite("Metrics on the mock cluster")
struct MetricsMockClusterTests {
    static func configuration(_ cluster: MockCluster, _ factory: TestMetrics, clientID: String) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration.clientID = clientID
        configuration.metrics = KafkaMetricsOptions(factory: factory, interval: .milliseconds(100))
        return configuration
    }

    static func produce(_ cluster: MockCluster, topic: String, count: Int, partitions: Int32) async throws {
        let producer = try KafkaProducer(configuration: cluster.configuration())
        for i in 0..<count {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: Int32(i) % partitions, value: "record \(i)"))
        }
        try await producer.flush(timeout: .seconds(30))
        await producer.shutdown()
    }

    static func total(_ factory: TestMetrics, _ label: String) -> Int64 { factory.counterTotal(label: label) }

    @Test("a producer: messages and bytes sent reach what was produced, brokers are up, the queue empties")
    func producer() async throws {
        let cluster = MockCluster(brokers: 2)
        cluster.createTopic("sent", partitions: 2)
        let factory = TestMetrics()
        let producer = try KafkaProducer(configuration: Self.configuration(cluster, factory, clientID: "metrics-producer"))
        #expect(producer.effectiveProperties().first { $0.name == "statistics.interval.ms" }?.value == "100")
        for i in 0..<200 {
            _ = try await producer.send(KafkaProducerRecord(topic: "sent", partition: Int32(i % 2), value: "value \(i)"))
        }
        try await producer.flush(timeout: .seconds(30))
        let client = [("client.id", "metrics-producer")]
        #expect(await eventually(seconds: 20) { Self.total(factory, "kafka.producer.messages.sent") == 200 })
        #expect(try factory.expectCounter("kafka.producer.messages.sent", client).totalValue == 200)
        let payload = (0..<200).map { "value \($0)".utf8.count }.reduce(0, +)
        #expect(try factory.expectCounter("kafka.producer.bytes.sent", client).totalValue >= payload)
        #expect(await eventually(seconds: 20) { (try? factory.expectGauge("kafka.producer.queue.messages", client).lastValue) == 0 })
        let states = factory.recorders(label: "kafka.producer.broker.state")
        #expect(states.count == 2, "one state gauge per broker: \(states.map(\.dimensions))")
        #expect(await eventually(seconds: 20) { states.allSatisfy { $0.lastValue == 2 } })
        for gauge in states {
            #expect(gauge.dimensions.first { $0.0 == "broker" }.map { $0.1.hasSuffix("/1") || $0.1.hasSuffix("/2") } == true)
        }
        #expect(!(try factory.expectGauge("kafka.producer.broker.rtt.avg", states[0].dimensions).values.isEmpty))
        #expect(Self.total(factory, "kafka.producer.delivery.failures") == 0)
        await producer.shutdown()
    }

    @Test("delivery failures are counted by error code")
    func deliveryFailures() async throws {
        let cluster = MockCluster()
        cluster.createTopic("failing", partitions: 1)
        cluster.setBrokerDown()
        let factory = TestMetrics()
        var configuration = Self.configuration(cluster, factory, clientID: "failing-producer")
        configuration.messageTimeout = .milliseconds(300)
        let producer = try KafkaProducer(configuration: configuration)
        // One awaited failure, then many fire-and-forget ones at once.
        let error = await #expect(throws: KafkaError.self) {
            try await producer.sendAndWait(KafkaProducerRecord(topic: "failing", partition: 0, value: "lost"))
        }
        #expect(error?.code == .messageTimedOut)
        for i in 0..<19 { _ = try producer.trySend(KafkaProducerRecord(topic: "failing", partition: 0, value: "lost \(i)")) }
        try await producer.flush(timeout: .seconds(30))
        let timedOut = [("client.id", "failing-producer"), ("error.code", "_MSG_TIMED_OUT")]
        #expect(await eventually(seconds: 20) { (try? factory.expectCounter("kafka.producer.delivery.failures", timedOut).totalValue) == 20 })
        #expect(factory.counters(label: "kafka.producer.delivery.failures").count == 1)
        #expect(producer.failedCount == 20)
        await producer.shutdown()
    }

    @Test("sends that wait for a full queue are counted, and those that give up")
    func queueFullWaits() async throws {
        let cluster = MockCluster()
        cluster.createTopic("full", partitions: 1)
        cluster.setBrokerDown()
        let factory = TestMetrics()
        var configuration = Self.configuration(cluster, factory, clientID: "full-producer")
        configuration["queue.buffering.max.messages"] = "5"
        configuration.queueFullPolicy = .wait(timeout: .milliseconds(100))
        let producer = try KafkaProducer(configuration: configuration)
        var refused = 0
        for i in 0..<8 {
            do {
                _ = try await producer.send(KafkaProducerRecord(topic: "full", partition: 0, value: "r\(i)"))
            } catch let error as KafkaError {
                #expect(error.code == .queueFull)
                refused += 1
            }
        }
        #expect(refused == 3)
        let local = [("client.id", "full-producer"), ("queue", "local")]
        #expect(try factory.expectCounter("kafka.producer.queue.full.waits", local).totalValue == 3)
        #expect(try factory.expectCounter("kafka.producer.queue.full.timeouts", local).totalValue == 3)
        let events = [("client.id", "full-producer"), ("queue", "events")]
        #expect(try factory.expectCounter("kafka.producer.queue.full.waits", events).totalValue == 0)
        // A fail-fast send neither waits nor times out.
        _ = try? producer.trySend(KafkaProducerRecord(topic: "full", partition: 0, value: "fast"))
        #expect(try factory.expectCounter("kafka.producer.queue.full.waits", local).totalValue == 3)
        #expect(await eventually(seconds: 20) { (try? factory.expectGauge("kafka.producer.queue.messages", [("client.id", "full-producer")]).lastValue) == 5 })
        await producer.shutdown(timeout: .zero)
    }

    @Test("a group consumer: messages received, lag per partition falling to 0, rebalances and assignment")
    func groupConsumer() async throws {
        let cluster = MockCluster()
        cluster.createTopic("read", partitions: 3)
        try await Self.produce(cluster, topic: "read", count: 90, partitions: 3)
        let factory = TestMetrics()
        var configuration = Self.configuration(cluster, factory, clientID: "metrics-consumer")
        configuration["group.id"] = "metrics-group"
        configuration["auto.offset.reset"] = "earliest"
        configuration["auto.commit.interval.ms"] = "100"
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(topics: ["read"])
        // Reading keeps librdkafka's callbacks served (a consumer's statistics come with its
        // records): the loop goes on reading after the last record until the test is done.
        let reader = Task {
            var count = 0
            for await _ in consumer.messages { count += 1 }
            return count
        }
        let client = [("client.id", "metrics-consumer")]
        #expect(await eventually(seconds: 30) { Self.total(factory, "kafka.consumer.messages.received") == 90 })
        #expect(try factory.expectCounter("kafka.consumer.bytes.received", client).totalValue >= 90 * 8)
        for partition in 0..<3 {
            let dimensions = client + [("topic", "read"), ("partition", "\(partition)")]
            #expect(try factory.expectGauge("kafka.consumer.fetch.queue.messages", dimensions).values.count > 0)
            // Committed every 100 ms: the lag becomes known, and 0 once everything is read.
            #expect(await eventually(seconds: 30) { (try? factory.expectGauge("kafka.consumer.lag", dimensions).lastValue) == 0 },
                    "partition \(partition)")
        }
        #expect(factory.recorders(label: "kafka.consumer.lag").count == 3)
        #expect(try factory.expectCounter("kafka.consumer.group.rebalances", client).totalValue >= 1)
        #expect(try factory.expectGauge("kafka.consumer.group.assignment.partitions", client).lastValue == 3)
        #expect(factory.recorders(label: "kafka.consumer.broker.state").contains { $0.dimensions.contains { $0 == ("broker", "GroupCoordinator") } })
        await consumer.close()
        #expect(await reader.value == 90)
    }

    @Test("a partition consumer: messages received and its partition's fetch queue, whether or not it reads on")
    func partitionConsumer() async throws {
        let cluster = MockCluster()
        cluster.createTopic("parts", partitions: 2)
        try await Self.produce(cluster, topic: "parts", count: 40, partitions: 2)
        let factory = TestMetrics()
        let consumer = try KafkaPartitionConsumer(configuration: Self.configuration(cluster, factory, clientID: "metrics-partitions"))
        try consumer.start(topic: "parts", partition: 0, at: .beginning)
        var read = 0
        while read < 20, try await consumer.consume(topic: "parts", partition: 0, timeout: .seconds(10)) != nil { read += 1 }
        #expect(read == 20)
        // No read from here on: the statistics are served all the same.
        let client = [("client.id", "metrics-partitions")]
        #expect(await eventually(seconds: 20) { Self.total(factory, "kafka.consumer.messages.received") == 20 })
        let partition0 = client + [("topic", "parts"), ("partition", "0")]
        #expect(await eventually(seconds: 20) { (try? factory.expectGauge("kafka.consumer.fetch.queue.messages", partition0).lastValue) == 0 })
        #expect(factory.recorders(label: "kafka.consumer.fetch.queue.messages").count == 1, "only the started partition")
        #expect(factory.counters(label: "kafka.consumer.group.rebalances").isEmpty)
        try await consumer.stop(topic: "parts", partition: 0)
        #expect(await eventually(seconds: 20) { factory.recorders(label: "kafka.consumer.fetch.queue.messages").isEmpty },
                "a stopped partition's metrics are destroyed")
    }

    @Test("an admin client: brokers and requests, and its main queue is served (it grew by one document per interval before)")
    func adminClient() async throws {
        let cluster = MockCluster(brokers: 3)
        let factory = TestMetrics()
        let admin = try KafkaAdminClient(configuration: Self.configuration(cluster, factory, clientID: "metrics-admin"))
        _ = try await admin.metadata()
        #expect(await eventually(seconds: 20) {
            let states = factory.recorders(label: "kafka.admin.broker.state")
            return states.count >= 3 && states.filter { $0.lastValue == 2 }.count >= 1
        })
        let client = [("client.id", "metrics-admin")]
        let replyQueue = try factory.expectGauge("kafka.admin.reply.queue", client)
        #expect(await eventually(seconds: 20) { replyQueue.values.count >= 10 })
        #expect(replyQueue.values.max() ?? 0 <= 2, "\(replyQueue.values)")
        #expect(rd_kafka_queue_length(admin.client.mainQueue) <= 2)
        #expect(factory.counters(label: "kafka.admin.request.errors").count == 1)
        #expect(factory.counters(label: "kafka.admin.messages.sent").isEmpty)
    }

    @Test("statistics on without metrics: an admin client's and a partition consumer's main queues do not grow")
    func statisticsWithoutMetrics() async throws {
        let cluster = MockCluster()
        var configuration = cluster.configuration()
        configuration.statisticsInterval = .milliseconds(20)
        let admin = try KafkaAdminClient(configuration: configuration)
        let consumer = try KafkaPartitionConsumer(configuration: configuration)
        try await Task.sleep(for: .milliseconds(600))  // about 30 documents each
        #expect(rd_kafka_queue_length(admin.client.mainQueue) <= 2)
        #expect(rd_kafka_queue_length(consumer.client.mainQueue) <= 2)
    }

    @Test("no factory given: the one MetricsSystem.factory returns when the client is made (here a task-local one)")
    func globalFactory() async throws {
        let cluster = MockCluster()
        cluster.createTopic("global", partitions: 1)
        let factory = TestMetrics()
        var configuration = cluster.configuration()
        configuration.metrics = KafkaMetricsOptions(interval: .milliseconds(100), dimensions: [("app", "test")])
        let producer = try withMetricsFactory(factory) { try KafkaProducer(configuration: configuration) }
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "global", value: "one"))
        #expect(await eventually(seconds: 20) {
            (try? factory.expectCounter("kafka.producer.messages.sent", [("app", "test"), ("client.id", "rdkafka")]).totalValue) == 1
        })
        await producer.shutdown()
    }

    @Test("off by default: no metrics object, no statistics")
    func offByDefault() throws {
        let cluster = MockCluster()
        let producer = try KafkaProducer(configuration: cluster.configuration())
        #expect(producer.core.metrics == nil)
        #expect(producer.effectiveProperties().first { $0.name == "statistics.interval.ms" }?.value == "0")
        for kind in [RDKafkaMetrics.Kind.producer, .consumer, .partitionConsumer, .admin] {
            #expect(RDKafkaMetrics.make(cluster.configuration(), kind: kind, logger: .init(label: "test")) == nil)
        }
    }
}
