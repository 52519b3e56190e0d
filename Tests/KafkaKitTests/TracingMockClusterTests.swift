import KafkaKitTestSupport
import Synchronization
import Testing
import Tracing

@testable import KafkaKit

/// Tracing (swift-distributed-tracing) on librdkafka's mock cluster, with a W3C-propagating
/// in-memory tracer: context in headers, send spans ended by delivery reports, process spans.
@Suite("Tracing on the mock cluster")
struct TracingMockClusterTests {
    /// A mock cluster with `topic`, and a tracer of its own for the test.
    func setUp(topic: String, partitions: Int32 = 1) -> (MockCluster, W3CTestTracer) {
        let cluster = MockCluster()
        cluster.createTopic(topic, partitions: partitions)
        return (cluster, W3CTestTracer())
    }

    func producerConfiguration(_ cluster: MockCluster, _ tracer: W3CTestTracer?) -> KafkaConfiguration {
        producerConfiguration(cluster, tracing: tracer.map { KafkaTracingOptions(tracer: $0) })
    }

    func producerConfiguration(_ cluster: MockCluster, tracing: KafkaTracingOptions?) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(1)
        configuration.clientID = "traced-producer"
        configuration.tracing = tracing
        return configuration
    }

    func consumerConfiguration(_ cluster: MockCluster, _ tracer: W3CTestTracer?, group: String = "traced-group") -> KafkaConfiguration {
        consumerConfiguration(cluster, tracing: tracer.map { KafkaTracingOptions(tracer: $0) }, group: group)
    }

    func consumerConfiguration(_ cluster: MockCluster, tracing: KafkaTracingOptions?, group: String = "traced-group") -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration["group.id"] = group
        configuration["enable.auto.commit"] = "false"
        configuration.tracing = tracing
        return configuration
    }

    /// Sends `records` one after the other, each awaited, inside a span "handle request" (the
    /// request a service handles), and returns their reports.
    @discardableResult
    func sendInRequest(_ producer: KafkaProducer, _ tracer: W3CTestTracer, _ records: [KafkaProducerRecord]) async throws -> [KafkaDeliveryReport] {
        try await tracer.withSpan("handle request") { _ in
            var reports: [KafkaDeliveryReport] = []
            for record in records { reports.append(try await producer.sendAndWait(record)) }
            return reports
        }
    }

    /// Reads `count` records of partition 0 from the beginning, handing each to `body`.
    func consume<T: Sendable>(
        _ configuration: KafkaConfiguration, topic: String, count: Int,
        _ body: @escaping @Sendable (KafkaConsumer, KafkaConsumerMessage) async throws -> T
    ) async throws -> [T] {
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0, offset: KafkaOffset.beginning)])
        let results = try await withDeadline(seconds: 30) {
            var results: [T] = []
            for await message in consumer.messages {
                results.append(try await body(consumer, message))
                if results.count == count { break }
            }
            return results
        }
        await consumer.close()
        return results
    }

    /// The first `count` fire-and-forget delivery reports in `events`, for at most 30 s.
    func deliveryReports(_ events: KafkaProducerEvents, count: Int) async throws -> [KafkaDeliveryReport] {
        try await withDeadline(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            for await event in events {
                if case .deliveryReports(let batch) = event { reports += batch }
                if reports.count >= count { break }
            }
            return reports
        }
    }

    func spans(_ tracer: W3CTestTracer, named name: String) -> [W3CTestTracer.FinishedSpan] {
        tracer.finishedSpans.filter { $0.operationName == name }
    }

    func span(_ tracer: W3CTestTracer, named name: String) throws -> W3CTestTracer.FinishedSpan {
        let found = spans(tracer, named: name)
        try #require(found.count == 1, "one span '\(name)' among \(tracer.finishedSpans.map(\.operationName))")
        return found[0]
    }

    /// Every span started has ended, and none was ended twice.
    func expectEverySpanEndedOnce(_ tracer: W3CTestTracer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(tracer.activeSpanCount == 0, "spans never ended", sourceLocation: sourceLocation)
        #expect(tracer.repeatedEnds == 0, "spans ended twice", sourceLocation: sourceLocation)
    }

    @Test("the consumer's process span is a child of the producer's send span, in the request's trace")
    func roundTrip() async throws {
        let (cluster, tracer) = setUp(topic: "traced")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracer))
        let report = try await sendInRequest(producer, tracer, [
            KafkaProducerRecord(topic: "traced", key: "order-1", value: "v", headers: [KafkaHeader(key: "app", value: "kept")]),
        ])[0]
        let request = try span(tracer, named: "handle request")
        let send = try span(tracer, named: "send traced")
        #expect(send.kind == .producer)
        #expect(send.context.traceID == request.context.traceID)
        #expect(send.parentSpanID == request.context.spanID)
        #expect(send.status == nil && send.errors.isEmpty)
        #expect(send.attributes.get("messaging.system") == .string("kafka"))
        #expect(send.attributes.get("messaging.operation.type") == .string("send"))
        #expect(send.attributes.get("messaging.operation.name") == .string("send"))
        #expect(send.attributes.get("messaging.destination.name") == .string("traced"))
        #expect(send.attributes.get("messaging.kafka.message.key") == .string("order-1"))
        #expect(send.attributes.get("messaging.client.id") == .string("traced-producer"))
        #expect(send.attributes.get("messaging.message.body.size") == .int64(1))
        #expect(send.attributes.get("messaging.destination.partition.id") == .string(String(report.partition)))
        #expect(send.attributes.get("messaging.kafka.offset") == .int64(report.offset))

        let seen = try await consume(consumerConfiguration(cluster, tracer), topic: "traced", count: 1) { consumer, message in
            consumer.withSpan(for: message) { span in
                // Inside the span its context is the current one.
                (ServiceContext.current?.w3cSpanContext, message.headers, message.extractContext(using: tracer).w3cSpanContext)
            }
        }
        let (current, headers, extracted) = seen[0]
        let process = try span(tracer, named: "process traced")
        #expect(process.kind == .consumer)
        #expect(process.context.traceID == send.context.traceID, "the consumer's span is in the producer's trace")
        #expect(process.parentSpanID == send.context.spanID, "a child of the send span")
        #expect(current == process.context)
        #expect(extracted?.spanID == send.context.spanID && extracted?.isRemote == true)
        #expect(headers == [KafkaHeader(key: "app", value: "kept"), KafkaHeader(key: "traceparent", value: send.context.traceparent)],
                "the record's own headers are kept, the trace context added after them")
        #expect(process.attributes.get("messaging.system") == .string("kafka"))
        #expect(process.attributes.get("messaging.operation.type") == .string("process"))
        #expect(process.attributes.get("messaging.destination.name") == .string("traced"))
        #expect(process.attributes.get("messaging.consumer.group.name") == .string("traced-group"))
        #expect(process.attributes.get("messaging.destination.partition.id") == .string("0"))
        #expect(process.attributes.get("messaging.kafka.offset") == .int64(report.offset))
        #expect(process.attributes.get("messaging.kafka.message.key") == .string("order-1"))
        expectEverySpanEndedOnce(tracer)
        await producer.shutdown()
    }

    @Test("with tracing off a record carries its own headers only, even sent inside a span")
    func offAddsNothing() async throws {
        let (cluster, tracer) = setUp(topic: "untraced")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, nil))
        #expect(producer.core.tracing == nil)
        let own = [KafkaHeader(key: "a", value: "1"), KafkaHeader(key: "traceparent", value: "users-own"), KafkaHeader(key: "b", value: nil)]
        try await sendInRequest(producer, tracer, [
            KafkaProducerRecord(topic: "untraced", value: "with headers", headers: own), KafkaProducerRecord(topic: "untraced", value: "without"),
        ])
        let headers = try await consume(consumerConfiguration(cluster, nil), topic: "untraced", count: 2) { consumer, message in
            consumer.withSpan(for: message) { span in
                #expect(!span.isRecording, "a consumer without tracing runs the body in a span that records nothing")
                return message.headers
            }
        }
        #expect(headers == [own, []])
        #expect(tracer.finishedSpans.map(\.operationName) == ["handle request"], "no span but the test's own")
        await producer.shutdown()
    }

    @Test("a failed delivery ends the send span with its error; every record still gets one report")
    func failedDelivery() async throws {
        let (cluster, tracer) = setUp(topic: "down")
        var configuration = producerConfiguration(cluster, tracer)
        configuration.messageTimeout = .milliseconds(500)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        cluster.setBrokerDown()
        var ids = Set<KafkaProducerMessageID>()
        for i in 0..<20 { ids.insert(try producer.trySend(KafkaProducerRecord(topic: "down", value: "m\(i)"))) }
        let error = await #expect(throws: KafkaError.self) {
            try await producer.sendAndWait(KafkaProducerRecord(topic: "down", value: "awaited"))
        }
        #expect(error?.code == .messageTimedOut)
        let reports = try await deliveryReports(events, count: 20)
        #expect(reports.count == 20 && Set(reports.map(\.id)) == ids)
        #expect(reports.allSatisfy { $0.errorCode == .messageTimedOut })
        let sends = spans(tracer, named: "send down")
        #expect(sends.count == 21, "one send span per record")
        for send in sends {
            #expect(send.status?.code == .error)
            #expect(send.attributes.get("error.type") == .string("_MSG_TIMED_OUT"))
            #expect(send.errors.count == 1)
            #expect(send.attributes.get("messaging.kafka.offset") == nil)
        }
        expectEverySpanEndedOnce(tracer)
        await producer.shutdown(timeout: .zero)
    }

    @Test("records purged at shutdown end their send spans with the purge")
    func purgedAtShutdown() async throws {
        let (cluster, tracer) = setUp(topic: "purged")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracer))
        cluster.setBrokerDown()
        for i in 0..<10 { _ = try producer.trySend(KafkaProducerRecord(topic: "purged", value: "m\(i)")) }
        #expect(await producer.shutdown(timeout: .zero) == 10)
        let sends = spans(tracer, named: "send purged")
        #expect(sends.count == 10)
        #expect(sends.allSatisfy { span in
            [SpanAttribute.string("_PURGE_QUEUE"), .string("_PURGE_INFLIGHT")].contains { $0 == span.attributes.get("error.type") }
        })
        expectEverySpanEndedOnce(tracer)
    }

    @Test("a record librdkafka refuses ends its send span at once with the error")
    func refusedSend() async throws {
        let (cluster, tracer) = setUp(topic: "small")
        var configuration = producerConfiguration(cluster, tracer)
        configuration.messageMaxBytes = 1000
        let producer = try KafkaProducer(configuration: configuration)
        let error = #expect(throws: KafkaError.self) {
            try producer.trySend(KafkaProducerRecord(topic: "small", value: [UInt8](repeating: 1, count: 5000)))
        }
        #expect(error?.code == .messageSizeTooLarge)
        let send = try span(tracer, named: "send small")
        #expect(send.status?.code == .error)
        #expect(send.attributes.get("error.type") == .string("MSG_SIZE_TOO_LARGE"))
        expectEverySpanEndedOnce(tracer)
        #expect(producer.outputQueueLength == 0)
        await producer.shutdown()
    }

    @Test("every way of sending gets one send span, ended by its own report")
    func everySendPath() async throws {
        let (cluster, tracer) = setUp(topic: "paths", partitions: 3)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: producerConfiguration(cluster, tracer))
        final class Receiver: KafkaDeliveryReceiver, @unchecked Sendable {
            let reports: ReportLog
            init(_ reports: ReportLog) { self.reports = reports }
            override func received(_ report: KafkaDeliveryReport) { reports.add([report]) }
        }
        let ownReports = ReportLog()
        var fireAndForget = 0
        for i in 0..<100 {
            let record = KafkaProducerRecord(topic: "paths", key: "k\(i)", value: "v\(i)")
            switch i % 6 {
            case 0: _ = try await producer.send(record); fireAndForget += 1
            case 1: _ = try producer.trySend(record); fireAndForget += 1
            case 2: try producer.trySend(record) { report in ownReports.add([report]) }
            case 3: try producer.trySend(record, reportingTo: Receiver(ownReports))
            case 4:
                try Array("k\(i)".utf8).withUnsafeBytes { key in
                    try Array("v\(i)".utf8).withUnsafeBytes { value in
                        _ = try producer.trySend(topic: "paths", key: key, value: value)
                    }
                }
                fireAndForget += 1
            default:
                let report = try await producer.sendAndWait(record)
                ownReports.add([report])
            }
        }
        try await producer.flush(timeout: .seconds(30))
        let reports = try await deliveryReports(events, count: fireAndForget) + ownReports.all
        #expect(reports.count == 100 && reports.allSatisfy(\.isDelivered))
        let sends = spans(tracer, named: "send paths")
        #expect(sends.count == 100, "one span per record")
        struct Position: Hashable { var partition: String; var offset: Int64 }
        let spanPositions = Set(sends.compactMap { span -> Position? in
            guard case .string(let partition) = span.attributes.get("messaging.destination.partition.id"),
                  case .int64(let offset) = span.attributes.get("messaging.kafka.offset") else { return nil }
            return Position(partition: partition, offset: offset)
        })
        #expect(spanPositions == Set(reports.map { Position(partition: String($0.partition), offset: $0.offset) }),
                "each span ended with its own record's partition and offset")
        #expect(Set(sends.map(\.context.spanID)).count == 100)
        expectEverySpanEndedOnce(tracer)
        await producer.shutdown()
    }

    @Test("without send spans the sending task's context is injected as it is, and nothing outside any context")
    func contextOnly() async throws {
        let (cluster, tracer) = setUp(topic: "context")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracing: KafkaTracingOptions(tracer: tracer, createsSendSpans: false)))
        try await sendInRequest(producer, tracer, [KafkaProducerRecord(topic: "context", value: "inside")])
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "context", value: "outside"))
        let request = try span(tracer, named: "handle request")
        #expect(tracer.finishedSpans.count == 1, "no send spans")
        let headers = try await consume(consumerConfiguration(cluster, nil), topic: "context", count: 2) { _, message in message.headers }
        #expect(headers == [[KafkaHeader(key: "traceparent", value: request.context.traceparent)], []])
        await producer.shutdown()
    }

    @Test("a process span can instead be a child of the current span, linked to the producer's")
    func linkedProcessSpan() async throws {
        let (cluster, tracer) = setUp(topic: "linked")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracer))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "linked", value: "v"))
        let configuration = consumerConfiguration(cluster, tracing: KafkaTracingOptions(tracer: tracer, processSpanParent: .currentWithLink))
        _ = try await consume(configuration, topic: "linked", count: 1) { consumer, message in
            tracer.withSpan("poll loop") { _ in consumer.withSpan(for: message) { _ in } }
        }
        let send = try span(tracer, named: "send linked")
        let loop = try span(tracer, named: "poll loop")
        let process = try span(tracer, named: "process linked")
        #expect(process.context.traceID == loop.context.traceID && process.parentSpanID == loop.context.spanID)
        #expect(process.context.traceID != send.context.traceID)
        #expect(process.links.map(\.spanID) == [send.context.spanID] && process.links.map(\.traceID) == [send.context.traceID])
        await producer.shutdown()
    }

    @Test("without a tracer of its own, tracing uses the one in effect where a record is sent or processed")
    func tracerInEffect() async throws {
        let (cluster, tracer) = setUp(topic: "ambient")
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracing: KafkaTracingOptions()))
        try await withTracer(tracer) {
            _ = try await sendInRequest(producer, tracer, [KafkaProducerRecord(topic: "ambient", value: "traced")])
        }
        // No tracer in effect here (none is bootstrapped in the tests): nothing is traced.
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "ambient", value: "untraced"))
        let send = try span(tracer, named: "send ambient")
        let configuration = consumerConfiguration(cluster, tracing: KafkaTracingOptions())
        let headers = try await consume(configuration, topic: "ambient", count: 2) { consumer, message in
            await withTracer(tracer) { () async -> [KafkaHeader] in
                // The asynchronous form, as a handler that awaits would use.
                await consumer.withSpan(for: message) { _ async in message.headers }
            }
        }
        #expect(headers == [[KafkaHeader(key: "traceparent", value: send.context.traceparent)], []])
        let processes = spans(tracer, named: "process ambient")
        #expect(processes.count == 2)
        #expect(processes.first?.parentSpanID == send.context.spanID)
        #expect(processes.last?.parentSpanID == nil, "a record without trace headers starts a trace of its own")
        #expect(tracer.finishedSpans.count == 4)
        await producer.shutdown()
    }

    @Test("a partition consumer's records get process spans too, and a thrown error is recorded on the span")
    func partitionConsumer() async throws {
        let (cluster, tracer) = setUp(topic: "parts", partitions: 2)
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster, tracer))
        _ = try await producer.sendAndWait(KafkaProducerRecord(topic: "parts", partition: 1, key: [0xFF, 0xFE], value: nil))
        var configuration = cluster.configuration()
        configuration.tracing = KafkaTracingOptions(tracer: tracer)
        let consumer = try KafkaPartitionConsumer(configuration: configuration)
        try consumer.start(topic: "parts", partition: 1, at: .beginning)
        let message = try #require(try await consumer.consume(topic: "parts", partition: 1, timeout: .seconds(30)))
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await consumer.withSpan(for: message) { _ async throws in throw Refused() }
        }
        let send = try span(tracer, named: "send parts")
        let process = try span(tracer, named: "process parts")
        #expect(send.attributes.get("messaging.destination.partition.id") == .string("1"))
        #expect(send.attributes.get("messaging.kafka.message.key") == nil, "a binary key is not recorded")
        #expect(process.parentSpanID == send.context.spanID)
        #expect(process.status?.code == .error && process.errors.count == 1)
        #expect(process.attributes.get("messaging.kafka.message.tombstone") == .bool(true))
        #expect(process.attributes.get("messaging.consumer.group.name") == nil)
        try await consumer.stop(topic: "parts", partition: 1)
        await producer.shutdown()
    }
}
