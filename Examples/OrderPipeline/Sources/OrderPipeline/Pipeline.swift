import Foundation
import KafkaKit
import Logging
import Metrics
import ServiceLifecycle

/// Reads order events, turns each into an accepted order and writes it to the output topic,
/// exactly once: the records written for a batch and the batch's input offsets are committed in
/// one transaction. A crash or a kill aborts the open transaction (the broker times it out, or
/// the next instance with the same `transactional.id` fences it), so the batch is read again
/// and written again, and a `read_committed` reader sees it once.
///
/// A transaction that fails ends the service with its error: the service group shuts the rest
/// down and the process exits non-zero, and the next start carries on from the committed
/// offsets. (Rewinding in-process would race records already fetched past the batch.)
final class OrderPipelineService: Service {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let settings: Settings
    let status: ServiceStatus
    let logger: Logger
    private let processed = Counter(label: "orders.processed")
    private let rejected = Counter(label: "orders.rejected")
    private let transactions = Counter(label: "orders.transactions")

    init(consumer: KafkaConsumer, producer: KafkaProducer, settings: Settings, status: ServiceStatus, logger: Logger) {
        self.consumer = consumer
        self.producer = producer
        self.settings = settings
        self.status = status
        self.logger = logger
    }

    func run() async throws {
        do {
            try await producer.initTransactions()
            try consumer.subscribe(topics: [settings.ordersTopic])
            status.pipelineStarted()
            logger.info("pipeline running", metadata: ["kafka.topic": "\(settings.ordersTopic)"])
            // Graceful shutdown ends the loop between batches; a batch being written finishes
            // its transaction first.
            for await batch in consumer.batches.cancelOnGracefulShutdown() {
                try await write(batch)
            }
            status.pipelineStopping()
            await consumer.close()
            status.pipelineStopped()
            logger.info("pipeline stopped")
        } catch {
            status.pipelineFailed("\(error)")
            await consumer.close()
            throw error
        }
    }

    private func write(_ batch: KafkaConsumerBatch) async throws {
        if batch.isEmpty { return }
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var records: [KafkaProducerRecord] = []
        records.reserveCapacity(batch.count)
        var rejectedCount = 0
        for message in batch {
            guard let value = message.value, let order = try? decoder.decode(Order.self, from: Data(value)),
                order.problem == nil
            else {
                // The HTTP side validates; anything else on the topic is skipped, counted.
                rejectedCount += 1
                continue
            }
            let accepted = AcceptedOrder(order, source: "\(message.topic)/\(message.partition)/\(message.offset)")
            records.append(
                KafkaProducerRecord(topic: settings.acceptedTopic, key: Array(order.id.utf8), value: Array(try encoder.encode(accepted)))
            )
        }
        let written = records
        try await producer.withTransaction {
            for record in written { _ = try await producer.send(record) }
            // The batch's next positions, refused (assignmentLost) if a rebalance took one of
            // its partitions since it was read: the new owner reads it again.
            try await producer.sendOffsetsToTransaction(consumer: consumer, through: batch)
        }
        processed.increment(by: written.count)
        rejected.increment(by: rejectedCount)
        transactions.increment()
        status.batchCommitted(records: written.count)
    }
}
