import Foundation
import Hummingbird
import KafkaKit
import Logging
import Metrics
import Prometheus

/// `POST /orders`, `GET /health`, `GET /metrics`.
struct HTTPRoutes: Sendable {
    let producer: KafkaProducer
    let settings: Settings
    let status: ServiceStatus
    let registry: PrometheusCollectorRegistry
    private let received = Counter(label: "orders.received")

    init(producer: KafkaProducer, settings: Settings, status: ServiceStatus, registry: PrometheusCollectorRegistry) {
        self.producer = producer
        self.settings = settings
        self.status = status
        self.registry = registry
    }

    func add(to router: Router<BasicRequestContext>) {
        router.post("/orders") { request, context in try await self.postOrder(request, context) }
        router.get("/health") { _, _ in self.health() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer()))
            )
        }
    }

    /// Answers 202 once the broker has the order event (acks=all, idempotent): an order that
    /// was answered 202 is never lost. 400 for an order that is not valid, 503 if Kafka did not
    /// take it (the client may retry: nothing was written).
    private func postOrder(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let order: Order
        do {
            order = try JSONDecoder().decode(Order.self, from: Data(buffer: body))
        } catch {
            return Self.json(.badRequest, ["error": "the body is not an order: \(error)"])
        }
        if let problem = order.problem { return Self.json(.badRequest, ["error": problem]) }
        received.increment()
        let record = KafkaProducerRecord(topic: settings.ordersTopic, key: Array(order.id.utf8), value: Array(try JSONEncoder().encode(order)))
        do {
            let report = try await producer.sendAndWait(record)
            if let error = report.error { throw error }
            status.orderAccepted()
            return Self.json(.accepted, ["id": order.id, "partition": "\(report.partition)", "offset": "\(report.offset)"])
        } catch {
            status.orderFailed()
            context.logger.info("order not published", metadata: ["order.id": "\(order.id)", "error": "\(error)"])
            return Self.json(.serviceUnavailable, ["error": "order \(order.id) was not published: \(error)"])
        }
    }

    private func health() -> Response {
        var snapshot = status.snapshot
        snapshot.producerQueue = producer.outputQueueLength
        let body = (try? JSONEncoder().encode(snapshot)) ?? Data("{}".utf8)
        return Response(
            status: status.isHealthy ? .ok : .serviceUnavailable,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    private static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(fields)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
