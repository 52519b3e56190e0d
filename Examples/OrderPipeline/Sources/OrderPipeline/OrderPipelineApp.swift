import Foundation
import Hummingbird
import KafkaKit
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The service: HTTP in, order events to Kafka, a transactional pipeline from the order topic
/// to the accepted-orders topic, metrics for Prometheus, one `ServiceGroup` for all of it.
///
/// SIGTERM or SIGINT shut it down gracefully, in the reverse order of `services`: the HTTP
/// server stops accepting and answers the requests it has; the pipeline finishes the batch it
/// is writing (its transaction commits) and closes its consumer; the transactional producer
/// shuts down (an open transaction would be aborted); the order producer delivers what it holds.
@main
struct OrderPipelineApp {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            // librdkafka's debug lines (KAFKA_DEBUG=cgrp,...) are logged at debug.
            handler.logLevel = ProcessInfo.processInfo.environment["KAFKA_DEBUG"] == nil ? .info : .debug
            return handler
        }
        let logger = Logger(label: "OrderPipeline")
        do {
            try await run(logger: logger)
        } catch {
            logger.error("OrderPipeline stopped: \(error)")
            exit(1)
        }
    }

    static func run(logger: Logger) async throws {
        let settings = try Settings.fromEnvironment()
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        var common = settings.kafka
        // KafkaKit's metrics from librdkafka's statistics, every second, into the bootstrapped
        // factory (Prometheus, served at GET /metrics).
        common.metrics = KafkaMetricsOptions(interval: .seconds(1))

        // A client ID each: metrics series are told apart by `client.id`.
        let clientID = common.clientID ?? "order-pipeline"
        var eventsConfiguration = common
        eventsConfiguration.clientID = clientID + "-http"
        eventsConfiguration.acks = .all
        eventsConfiguration.isIdempotent = true
        let events = try KafkaProducer(configuration: eventsConfiguration, logger: logger)

        var transactional = common
        transactional.clientID = clientID + "-writer"
        transactional["transactional.id"] = settings.transactionalID
        let writer = try KafkaProducer(configuration: transactional, logger: logger)

        var consumerConfiguration = common
        consumerConfiguration.clientID = clientID + "-reader"
        consumerConfiguration["group.id"] = settings.group
        consumerConfiguration["enable.auto.commit"] = "false"
        consumerConfiguration["auto.offset.reset"] = "earliest"
        consumerConfiguration["isolation.level"] = "read_committed"
        for (name, value) in settings.consumerProperties { consumerConfiguration[name] = value }
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)

        let status = ServiceStatus()
        let pipeline = OrderPipelineService(consumer: consumer, producer: writer, settings: settings, status: status, logger: logger)

        let router = Router()
        HTTPRoutes(producer: events, consumer: consumer, settings: settings, status: status, registry: registry).add(to: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "OrderPipeline"),
            onServerRunning: { channel in
                // The first line on stdout: where it listens (the test reads the port from it).
                let port = channel.localAddress?.port ?? settings.port
                FileHandle.standardOutput.write(Data("OrderPipeline listening on \(settings.host):\(port)\n".utf8))
            },
            logger: logger
        )

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: events),
                    .init(service: writer),
                    // A failed transaction shuts the rest down gracefully (orders answered, events
                    // delivered) instead of cancelling them; the process then exits non-zero.
                    .init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: app, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("OrderPipeline stopped", metadata: ["orders.accepted": "\(status.snapshot.ordersAccepted)", "orders.processed": "\(status.snapshot.ordersProcessed)"])
    }
}
