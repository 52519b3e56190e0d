import KafkaKit
import KafkaKitEvents

/// `kafka -V`: KafkaKit's version and the librdkafka version loaded at run time.
func printVersions() {
    print("kafka (KafkaKit) \(KafkaVersion.kafkaKit)")
    print("librdkafka \(KafkaVersion.librdkafka)")
}

/// `kafka -X list`: librdkafka's own table (as `kcat -X list` prints it), or one JSON array of
/// its properties.
func printProperties(json: Bool) {
    guard json else {
        print(KafkaConfiguration.librdkafkaPropertyTable, terminator: "")
        return
    }
    printJSON(.array(KafkaConfiguration.librdkafkaProperties.map { p in
        [
            "name": .string(p.name), "scope": .string(p.scope.rawValue), "clients": .string(p.clients.rawValue),
            "range": .text(p.range), "default": .text(p.defaultValue), "importance": .string(p.importance),
            "type": .text(p.type), "alias_of": .text(p.aliasOf), "description": .string(p.description),
        ]
    }))
}
