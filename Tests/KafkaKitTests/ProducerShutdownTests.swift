import KafkaKitTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import KafkaKit

/// Shutdown, queue-full waiters and an event sequence nobody reads, on librdkafka's mock
/// cluster. Each bound is generous and fails the test instead of hanging the suite.
@Suite("Producer shutdown and unread events")
struct ProducerShutdownTests {
    func configuration(_ cluster: MockCluster) -> KafkaConfiguration {
        var configuration = cluster.configuration()
        configuration.linger = .milliseconds(1)
        return configuration
    }

    @Test("the README pattern — break out of the events, then 70 000 sends — shuts down; every message has its outcome")
    func breakThenManySends() async throws {
        let cluster = MockCluster()
        cluster.createTopic("readme", partitions: 2)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        let id = try await producer.send(KafkaProducerRecord(topic: "readme", key: "42", value: "paid"))
        try await returnsWithin(seconds: 30) {
            for await case .deliveryReports(let reports) in events where reports.contains(where: { $0.id == id }) { break }
        }
        for i in 0..<70_000 { _ = try await producer.send(KafkaProducerRecord(topic: "readme", value: "m\(i)")) }
        try await returnsWithin(seconds: 60) { await producer.shutdown(timeout: .seconds(5)) }
        #expect(producer.deliveredCount + producer.failedCount == 70_001)
    }

    /// What holds the producer, and is held by the producer's own handler: a cycle.
    final class Owner: @unchecked Sendable {
        var producer: KafkaProducer?
        let reported = Mutex(0)
    }

    @Test("a handler that captures what holds the producer lets it go at shutdown: the cycle ends, the producer is released")
    func handlerCycleEndsAtShutdown() async throws {
        let cluster = MockCluster()
        cluster.createTopic("cycle", partitions: 1)
        weak var released: KafkaProducer?
        weak var releasedOwner: Owner?
        func sendAndShutDown() async throws {
            let owner = Owner()
            let producer = try KafkaProducer(configuration: configuration(cluster)) { event in
                if case .deliveryReports(let reports) = event { owner.reported.withLock { $0 += reports.count } }
            }
            owner.producer = producer
            released = producer
            releasedOwner = owner
            for i in 0..<10 { _ = try await producer.send(KafkaProducerRecord(topic: "cycle", value: "m\(i)")) }
            try await returnsWithin(seconds: 30) { await producer.shutdown(timeout: .seconds(10)) }
            #expect(owner.reported.withLock { $0 } == 10)
        }
        try await sendAndShutDown()
        #expect(releasedOwner == nil, "the producer kept its handler (and what it captured) after shutdown")
        #expect(released == nil, "the producer outlived its shutdown and every reference to it")
    }

    @Test("after the loop is left, later events are discarded and a new loop ends at once")
    func eventsAfterBreakAreDiscarded() async throws {
        let cluster = MockCluster()
        cluster.createTopic("after-break", partitions: 1)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration(cluster))
        let id = try await producer.send(KafkaProducerRecord(topic: "after-break", value: "first"))
        try await returnsWithin(seconds: 30) {
            for await case .deliveryReports(let reports) in events where reports.contains(where: { $0.id == id }) { break }
        }
        for i in 0..<100 { _ = try await producer.send(KafkaProducerRecord(topic: "after-break", value: "m\(i)")) }
        try await producer.flush(timeout: .seconds(30))
        let later = try await returnsWithin(seconds: 30) {
            var count = 0
            for await _ in events { count += 1 }
            return count
        }
        #expect(later == 0, "the reader left: nothing is kept for a second loop")
        #expect(producer.deliveredCount == 101)
        try await returnsWithin(seconds: 60) { await producer.shutdown() }
    }

    @Test("a small event buffer nobody reads blocks neither awaited sends nor shutdown; every accepted send keeps its report")
    func unreadEventsBlockNothing() async throws {
        let cluster = MockCluster()
        cluster.createTopic("unread", partitions: 1)
        var configuration = configuration(cluster)
        configuration.eventBufferCapacity = 10
        configuration.messageTimeout = .milliseconds(3000)
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        var accepted = Set<KafkaProducerMessageID>()
        let handled = ReportCollector()
        var handlers = 0
        for wave in 0..<5 {
            for i in 0..<100 {
                // Refused as on a full queue while the buffer is full: only the accepted count.
                if let id = try? producer.trySend(KafkaProducerRecord(topic: "unread", partition: 0, value: "w\(wave)-\(i)")) {
                    accepted.insert(id)
                }
                try producer.trySend(KafkaProducerRecord(topic: "unread", partition: 0, value: "h\(wave)-\(i)")) { handled.add([$0]) }
                handlers += 1
            }
            let report = try await returnsWithin(seconds: 30) {
                try await producer.sendAndWait(KafkaProducerRecord(topic: "unread", partition: 0, value: "awaited \(wave)"))
            }
            #expect(report.isDelivered)
        }
        try await returnsWithin(seconds: 60) { await producer.shutdown(timeout: .seconds(5)) }
        #expect(handled.reports.count == handlers, "every handler had its report when shutdown returned")
        // A late reader still finds one report per accepted fire-and-forget send.
        let reports = try await returnsWithin(seconds: 30) {
            var reports: [KafkaDeliveryReport] = []
            for await case .deliveryReports(let batch) in events { reports += batch }
            return reports
        }
        #expect(reports.count == accepted.count)
        #expect(Set(reports.map(\.id)) == accepted)
    }

    @Test("events of a sequence dropped unread are discarded: sends, flush and shutdown go on")
    func sequenceDroppedUnread() async throws {
        let cluster = MockCluster()
        cluster.createTopic("ignored", partitions: 2)
        var configuration = configuration(cluster)
        configuration.eventBufferCapacity = 5
        let (producer, _) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        for i in 0..<500 { _ = try await producer.send(KafkaProducerRecord(topic: "ignored", value: "m\(i)")) }
        try await returnsWithin(seconds: 60) { try await producer.flush(timeout: .seconds(30)) }
        #expect(producer.deliveredCount == 500)
        try await returnsWithin(seconds: 60) { await producer.shutdown() }
    }

    @Test("a reader that stalls with its iterator holds up neither awaited sends nor shutdown, and then reads every report")
    func stalledReader() async throws {
        let cluster = MockCluster()
        cluster.createTopic("stalled", partitions: 1)
        var configuration = configuration(cluster)
        configuration.eventBufferCapacity = 5
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        var iterator = events.makeAsyncIterator()
        var ids = Set<KafkaProducerMessageID>()
        ids.insert(try producer.trySend(KafkaProducerRecord(topic: "stalled", partition: 0, value: "first")))
        var reports: [KafkaDeliveryReport] = []
        if case .deliveryReports(let batch) = await iterator.next() { reports += batch }
        // The reader stalls, holding its iterator, while waves of sends go on.
        for wave in 0..<5 {
            for i in 0..<50 {
                // Refused (as on a full queue) once the buffer is full: only the accepted count.
                if let id = try? producer.trySend(KafkaProducerRecord(topic: "stalled", partition: 0, value: "w\(wave)-\(i)")) {
                    ids.insert(id)
                }
            }
            let report = try await returnsWithin(seconds: 30) {
                try await producer.sendAndWait(KafkaProducerRecord(topic: "stalled", partition: 0, value: "awaited \(wave)"))
            }
            #expect(report.isDelivered)
        }
        try await returnsWithin(seconds: 60) { await producer.shutdown(timeout: .seconds(5)) }
        while let event = await iterator.next() {
            if case .deliveryReports(let batch) = event { reports += batch }
        }
        #expect(reports.count == ids.count)
        #expect(Set(reports.map(\.id)) == ids)
    }

    @Test("sends waiting for queue space when shutdown runs fail with destroyed")
    func waitingSendsAreDestroyed() async throws {
        let cluster = MockCluster()
        cluster.createTopic("full-at-shutdown", partitions: 1)
        var configuration = configuration(cluster)
        configuration["queue.buffering.max.messages"] = "5"
        let producer = try KafkaProducer(configuration: configuration)  // default policy: wait up to 10 s
        cluster.setBrokerDown()
        for i in 0..<5 { _ = try producer.trySend(KafkaProducerRecord(topic: "full-at-shutdown", value: "m\(i)")) }
        let record = KafkaProducerRecord(topic: "full-at-shutdown", value: "waits")
        let fireAndForget = Task { try await producer.send(record) }
        let awaited = Task { try await producer.sendAndWait(record) }
        let handler = Task { try await producer.send(record) { _ in } }
        try await Task.sleep(for: .milliseconds(300))  // let them wait; they must fail alike if not yet waiting
        try await returnsWithin(seconds: 60) { await producer.shutdown(timeout: .milliseconds(500)) }
        let errors = try await returnsWithin(seconds: 30) {
            [await Self.failure(of: fireAndForget), await Self.failure(of: awaited), await Self.failure(of: handler)]
        }
        for error in errors {
            #expect(error?.code == .destroyed, "\(String(describing: error))")
            #expect(error?.message == "the producer is shut down")
        }
    }

    @Test("many sends waiting on a full queue while shutdown runs all return: refused with destroyed, or queued and reported", arguments: 0..<5)
    func waitersRacingShutdown(round: Int) async throws {
        let cluster = MockCluster()
        cluster.createTopic("race", partitions: 1)
        var configuration = configuration(cluster)
        configuration["queue.buffering.max.messages"] = "3"
        let (producer, events) = try KafkaProducer.makeProducerWithEvents(configuration: configuration)
        // Every report, read while the sends and the shutdown run (the sequence ends with it).
        let reports = Task {
            var ids: [UInt64] = []
            for await event in events { if case .deliveryReports(let batch) = event { ids += batch.map(\.id.rawValue) } }
            return ids
        }
        cluster.setBrokerDown()
        var first: [UInt64] = []
        for i in 0..<3 { first.append(try producer.trySend(KafkaProducerRecord(topic: "race", value: "m\(i)")).rawValue) }
        let outcomes = try await returnsWithin(seconds: 60) {
            await withTaskGroup(of: SendOutcome?.self) { group in
                for i in 0..<100 {
                    group.addTask {
                        do {
                            return .queued(try await producer.send(KafkaProducerRecord(topic: "race", value: "w\(i)")).rawValue)
                        } catch {
                            return .refused((error as? KafkaError)?.code ?? .failure)
                        }
                    }
                    if i == 50 + round * 10 {
                        group.addTask {
                            await producer.shutdown(timeout: .zero)
                            return nil
                        }
                    }
                }
                var outcomes: [SendOutcome] = []
                for await outcome in group { if let outcome { outcomes.append(outcome) } }
                return outcomes
            }
        }
        #expect(outcomes.count == 100)
        // A send refused is refused as shut down; one that got into the queue just before the
        // shutdown took effect is not refused, and then has its report (purged) like the first three.
        let refusals = outcomes.compactMap { outcome -> KafkaError.Code? in if case .refused(let code) = outcome { code } else { nil } }
        #expect(refusals.allSatisfy { $0 == KafkaError.Code.destroyed }, "\(refusals.filter { $0 != KafkaError.Code.destroyed })")
        let accepted = outcomes.compactMap { outcome -> UInt64? in if case .queued(let id) = outcome { id } else { nil } }
        let reported = try await returnsWithin(seconds: 30) { await reports.value }
        #expect(reported.sorted() == (first + accepted).sorted(), "accepted \(accepted.count), reported \(reported.count)")
    }

    enum SendOutcome: Sendable {
        case queued(UInt64)
        case refused(KafkaError.Code)
    }

    @Test("the producer logs at info or below: failed deliveries, client errors, purges at shutdown")
    func logLevels() async throws {
        let cluster = MockCluster()
        cluster.createTopic("logs", partitions: 1)
        var configuration = configuration(cluster)
        // Nothing times out: the failed deliveries come from the broker refusing them (not
        // retriable), and what is left at shutdown is purged, whatever the timing.
        configuration.messageTimeout = .seconds(120)
        configuration.shutdownTimeout = .milliseconds(100)
        let logs = CapturedLogs()
        let producer = try KafkaProducer(configuration: configuration, logger: Logger(label: "test") { _ in CapturingLogHandler(logs) })
        // The next produce request fails with MESSAGE_TOO_LARGE (10), not retriable: its
        // messages fail.
        cluster.pushRequestErrors(apiKey: 0, [10])
        // The sends run as a service of the group; once it returns the group shuts down
        // gracefully (purging what the broker, down by then, did not get).
        let sender = ClosureService {
            for i in 0..<10 { _ = try producer.trySend(KafkaProducerRecord(topic: "logs", partition: 0, value: "f\(i)")) }
            while producer.failedCount == 0 { try await Task.sleep(for: .milliseconds(20)) }  // refused, logged
            try await producer.flush(timeout: .seconds(30))  // the rest of the ten delivered
            cluster.setBrokerDown()
            for i in 0..<10 { _ = try producer.trySend(KafkaProducerRecord(topic: "logs", partition: 0, value: "p\(i)")) }
        }
        let group = ServiceGroup(configuration: .init(services: [
            .init(service: producer),
            .init(service: sender, successTerminationBehavior: .gracefullyShutdownGroup),
        ], logger: Logger(label: "group")))
        try await returnsWithin(seconds: 60) { try await group.run() }
        #expect(producer.failedCount >= 11, "at least one refused, and the ten purged")
        let entries = logs.entries
        #expect(entries.contains { $0.message == "Kafka message not delivered" && $0.level == .info })
        #expect(entries.contains { $0.message == "Kafka producer purged undelivered messages at shutdown" && $0.level == .info })
        #expect(entries.allSatisfy { $0.level <= .info }, "\(entries.filter { $0.level > .info })")
    }

    /// The KafkaError a task ended with; `nil` if it returned.
    static func failure<T: Sendable>(of task: Task<T, any Error>) async -> KafkaError? {
        do {
            _ = try await task.value
            return nil
        } catch {
            return error as? KafkaError ?? KafkaError(code: .failure, message: "\(error)")
        }
    }
}

