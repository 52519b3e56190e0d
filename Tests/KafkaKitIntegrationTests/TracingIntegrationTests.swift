import Foundation
import KafkaKit
import KafkaKitTestSupport
import Testing
import Tracing

/// Trace context across the real local broker: each record's process span continues the trace
/// of the request that produced it.
@Suite("Tracing on the local broker", .enabled(if: TestBroker.shouldRun, "KAFKA_BOOTSTRAP_SERVERS is not set"))
struct TracingIntegrationTests {
    @Test("200 records sent from 200 requests: each record's process span is a child of its own send span")
    func roundTrip() async throws {
        let servers = try TestBroker.servers()
        let topic = TestBroker.freshTopic("traced")
        let tracer = W3CTestTracer()
        let admin = try KafkaAdminClient(configuration: KafkaConfiguration(bootstrapServers: [servers]))
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3)])

        var producerConfiguration = KafkaConfiguration(bootstrapServers: [servers])
        producerConfiguration.messageTimeout = .seconds(30)
        producerConfiguration.tracing = KafkaTracingOptions(tracer: tracer)
        let producer = try KafkaProducer(configuration: producerConfiguration)
        let count = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    try await tracer.withSpan("request \(i)") { _ in
                        _ = try await producer.sendAndWait(
                            KafkaProducerRecord(topic: topic, key: "k\(i)", value: "v\(i)", headers: [KafkaHeader(key: "index", value: "\(i)")]))
                    }
                }
            }
            try await group.waitForAll()
        }

        var consumerConfiguration = KafkaConfiguration(bootstrapServers: [servers])
        consumerConfiguration["group.id"] = "traced-\(UUID().uuidString)"
        consumerConfiguration["auto.offset.reset"] = "earliest"
        consumerConfiguration["session.timeout.ms"] = "6000"  // Tansu rebalances slowly otherwise
        consumerConfiguration["heartbeat.interval.ms"] = "500"
        consumerConfiguration.tracing = KafkaTracingOptions(tracer: tracer)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration)
        try consumer.subscribe(topics: [topic])
        let indexHeaders = try await withDeadline(seconds: 60) {
            var keys = Set<String>()
            var indexHeaders: [String: String] = [:]
            for await message in consumer.messages {
                consumer.withSpan(for: message) { _ in
                    let key = message.keyString ?? ""
                    keys.insert(key)
                    indexHeaders[key] = message.headers.first { $0.key == "index" }.flatMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
                }
                if keys.count == count { break }
            }
            return indexHeaders
        }
        await consumer.close()
        await producer.shutdown()

        let spans = tracer.finishedSpans
        let requests = Dictionary(uniqueKeysWithValues: spans.filter { $0.operationName.hasPrefix("request ") }.map { ($0.context.spanID, $0) })
        let sends = spans.filter { $0.operationName == "send \(topic)" }
        #expect(requests.count == count && sends.count == count)
        var sendByKey: [String: W3CTestTracer.FinishedSpan] = [:]
        for send in sends {
            guard case .string(let key) = send.attributes.get("messaging.kafka.message.key") else { Issue.record("send span without key"); continue }
            sendByKey[key] = send
            let request = try #require(requests[send.parentSpanID ?? ""], "the send span of \(key) is a child of a request span")
            #expect(request.operationName == "request \(key.dropFirst())", "the send span of \(key) is in its own request's trace")
            #expect(request.context.traceID == send.context.traceID)
        }
        // At-least-once: a record read twice has two process spans, each a child of its send span.
        let processes = spans.filter { $0.operationName == "process \(topic)" }
        #expect(processes.count >= count)
        for process in processes {
            guard case .string(let key) = process.attributes.get("messaging.kafka.message.key") else { Issue.record("process span without key"); continue }
            let send = try #require(sendByKey[key])
            #expect(process.context.traceID == send.context.traceID, "\(key): the consumer's span is in the producer's trace")
            #expect(process.parentSpanID == send.context.spanID, "\(key): a child of its send span")
            #expect(process.attributes.get("messaging.consumer.group.name") == .string(consumerConfiguration["group.id"]!))
        }
        #expect(indexHeaders.count == count && indexHeaders.allSatisfy { "k\($0.value)" == $0.key }, "the records' own headers are kept")
        #expect(tracer.activeSpanCount == 0 && tracer.repeatedEnds == 0)
    }
}
