import ArgumentParser
import Foundation
import KafkaKit
import KafkaKitConnections
import KafkaKitEvents

/// `kafka publish TARGET MESSAGE [--key K] [--wait]` (event_kafka's `kafka_publish`).
struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish one message to a broker ID, a kafka: socket or an [ID] broker spec.",
        discussion: """
            TARGET is a broker ID declared in kafka.conf (a 'type = broker' section), a socket \
            (kafka:BROKERS/TOPIC[?PROPS]) or a whole broker spec ([ID]BROKERS/TOPIC[?PROPS]). \
            The command always waits for the outcome, so nothing is lost when it exits: it is \
            silent on delivery and exits 1 with the error otherwise. --wait prints the delivery \
            report (--json or --output json: as one JSON object).
            """
    )

    @OptionGroup var file: ConfigFileOption

    @Argument(help: "A broker ID from kafka.conf, a kafka: socket, or an [ID]BROKERS/TOPIC[?PROPS] spec.")
    var target: String

    @Argument(help: "The message (- reads it from standard input).")
    var message: String

    @Option(name: .long, help: "The record key.")
    var key: String?

    @Flag(name: .long, help: "Print the delivery report.")
    var wait = false

    @Flag(name: .long, help: "With --wait: print the report as JSON (the same as --output json).")
    var json = false

    @OptionGroup var output: OutputOptions

    enum Target {
        case broker(String)
        case spec(KafkaBrokerSpec)
        case socket(KafkaSocket)
    }

    func parsedTarget() throws -> Target {
        if target.lowercased().hasPrefix("kafka:") {
            return .socket(try usage(target, "socket") { try KafkaSocket(parsing: target) })
        }
        if target.hasPrefix("[") {
            return .spec(try usage(target, "broker spec") { try KafkaBrokerSpec(parsing: target) })
        }
        if target.contains("/") {
            // BROKERS/TOPIC[?PROPS], as a broker's socket is written in kafka.conf: a socket
            // without its "kafka:" (a broker ID never holds '/').
            let socket = "kafka:" + target
            return .socket(try usage(target, "socket") {
                do {
                    return try KafkaSocket(parsing: socket)
                } catch let error as KafkaError {
                    var error = error
                    error.position = error.position.map { $0 - 6 }
                    throw error
                }
            })
        }
        guard !target.isEmpty else { throw ValidationError("TARGET is empty: give a broker ID, a kafka: socket or an [ID]BROKERS/TOPIC spec") }
        return .broker(target)
    }

    func validate() throws {
        _ = try parsedTarget()
        if (json || output.isJSON) && !wait { throw ValidationError("--json goes with --wait") }
    }

    func run() async throws {
        let target = try parsedTarget()
        try await reportingFailures {
            let payload = message == "-" ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : Array(message.utf8)
            let keyBytes = key.map { Array($0.utf8) }
            let publisher: KafkaEventPublisher
            let brokerID: String?
            let socket: KafkaSocket
            switch target {
            case .broker(let id):
                let loaded = try file.load()
                publisher = try configurationFailure { try KafkaEventPublisher(file: loaded) }
                guard let broker = loaded.broker(id: id) else {
                    let known = loaded.brokers.map(\.id)
                    throw CLIFailure.configuration(
                        KafkaError.notDeclared("broker ID", id, known: known).message + " in \(loaded.path ?? "kafka.conf")"
                            + (known.isEmpty ? "; declare one: [\(id)] type = broker, socket = HOST:PORT/TOPIC" : ""))
                }
                brokerID = id
                socket = broker.socket
            case .spec(let spec):
                publisher = try KafkaEventPublisher(brokers: [spec])
                brokerID = spec.id
                socket = spec.socket
            case .socket(let parsed):
                publisher = try KafkaEventPublisher()
                brokerID = nil
                socket = parsed
            }

            let outcome: Result<KafkaDeliveryReport, KafkaError>
            do {
                // A property librdkafka rejects surfaces here, when the producer is created.
                if let brokerID {
                    outcome = .success(try await publisher.publishAndWait(broker: brokerID, message: payload, key: keyBytes))
                } else {
                    outcome = .success(try await publisher.publishAndWait(to: socket, message: payload, key: keyBytes))
                }
            } catch let error as KafkaError where error.code == .invalidArgument && error.property != nil {
                await publisher.shutdown(timeout: .zero)
                throw CLIFailure.configuration(describe(error, in: target))
            } catch let error as KafkaError {
                outcome = .failure(error)
            }
            await publisher.shutdown()
            let report = KafkaPublishReport(brokerID: brokerID, socket: socket, status: outcome, key: keyBytes, message: payload)
            if wait { print(json || output.isJSON ? report.jsonLine : report.textLine) }
            if let error = report.error { throw CLIFailure.kafka("message not delivered: \(error)") }
        }
    }

    /// Errors about a property point into the text the user typed when there is one.
    private func describe(_ error: KafkaError, in target: Target) -> String {
        switch target {
        case .broker: return error.description
        case .socket, .spec: return caretLine(error, text: self.target)
        }
    }
}

extension KafkaPublishReport {
    /// One human-readable line.
    var textLine: String {
        switch status {
        case .success(let delivery):
            return "Message delivered to \(target): topic \(delivery.topic), partition \(delivery.partition), offset \(delivery.offset)"
        case .failure(let error):
            return "Message not delivered to \(target): \(error.code.name)"
        }
    }

    /// One JSON object: the seed's report fields (broker ID, status 0 or -1, key, message) and
    /// where the message landed, or the error.
    var jsonLine: String {
        var object: KafkaJSON = [:]
        object.set("broker", brokerID.map { .string($0) } ?? .null)
        object.set("socket", .string(socket.description))
        object.set("status", isDelivered ? 0 : -1)
        switch status {
        case .success(let delivery):
            object.set("topic", .string(delivery.topic))
            object.set("partition", .int(Int64(delivery.partition)))
            object.set("offset", .int(delivery.offset))
            if delivery.timestampMilliseconds >= 0 { object.set("timestamp", .int(delivery.timestampMilliseconds)) }
        case .failure(let error):
            object.set("error", .string(error.code.name))
            object.set("reason", .string(error.message))
        }
        object.set("key", key.map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null)
        object.set("message", .string(String(decoding: message, as: UTF8.self)))
        return object.jsonText
    }
}
