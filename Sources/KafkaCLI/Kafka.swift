import ArgumentParser

/// The `kafka` command: res_kafka's CLI commands, plus what an operator uses kcat for.
///
/// Exit codes: 0 success; 1 a Kafka operation failed (an error, an undelivered message);
/// 2 the configuration file or a connection name is wrong; 64 a usage error. `consume` and
/// `produce` stopped by SIGINT or SIGTERM exit 0 (or 1, records not delivered) after a clean
/// stop; a second signal ends them at once by that signal (130, 143).
@main
struct Kafka: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce, consume and administer Kafka from the command line (KafkaKit, librdkafka).",
        discussion: """
            Connections come from kafka.conf: --config PATH, else $KAFKA_CONF, else ./kafka.conf, \
            else /etc/kafka/kafka.conf. Exit codes: 0 success, 1 Kafka operation failed, \
            2 configuration error, 64 usage error; consume and produce stopped by SIGINT or \
            SIGTERM exit 0 (1: records not delivered) after a clean stop, by that signal (130, \
            143) after a second one.
            """,
        subcommands: [Show.self, Test.self, Produce.self, Consume.self, Metadata.self, Topics.self, Groups.self, Publish.self, Event.self]
    )
}
