// A consumer process for crash tests: reads a topic as a member of a group with KafkaKit's
// default offset handling and writes "partition offset" per record to stdout, unbuffered —
// a line written is a record processed. Tests kill it with SIGKILL at random points and start
// it again, then check that every record was processed at least once.
//
// Usage: KafkaKitTestConsumer BOOTSTRAP TOPIC GROUP [default|store]
// `store`: store-then-commit — enable.auto.offset.store=false, and storeOffset after each
// record's line was written.
import Foundation
import KafkaKit

let arguments = CommandLine.arguments
guard arguments.count == 4 || (arguments.count == 5 && ["default", "store"].contains(arguments[4])) else {
    FileHandle.standardError.write(Data("usage: KafkaKitTestConsumer BOOTSTRAP TOPIC GROUP [default|store]\n".utf8))
    exit(2)
}
let storeThenCommit = arguments.count == 5 && arguments[4] == "store"
var configuration = KafkaConfiguration(bootstrapServers: [arguments[1]])
configuration["group.id"] = arguments[3]
configuration["auto.offset.reset"] = "earliest"
configuration["session.timeout.ms"] = "6000"
configuration["heartbeat.interval.ms"] = "500"
configuration["auto.commit.interval.ms"] = "100"
configuration["group.instance.id"] = "crash-test-\(arguments[3])"  // a restart takes the old member's place
configuration.consumerBatchSize = 256
if storeThenCommit { configuration["enable.auto.offset.store"] = "false" }

func run(_ configuration: KafkaConfiguration, topic: String) async throws {
    let consumer = try KafkaConsumer(configuration: configuration)
    try consumer.subscribe(topics: [topic])
    for await message in consumer.messages {
        let line = "\(message.partition) \(message.offset)\n"
        var written = 0
        let bytes = Array(line.utf8)
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { exit(3) }
            written += n
        }
        if storeThenCommit { try consumer.storeOffset(message) }
    }
}
try await run(configuration, topic: arguments[2])
