import CLibrdkafka
import Testing

@testable import KafkaKit

/// What KafkaKit reads from the librdkafka linked at run time: its version, its property
/// table, the APIs a broker announced.
@Suite("librdkafka's version, property table and broker APIs")
struct LibrdkafkaInfoTests {
    @Test("the version is the loaded library's")
    func version() {
        #expect(KafkaVersion.librdkafka == String(cString: rd_kafka_version_str()))
        #expect(KafkaVersion.librdkafkaNumber >= 0x020C_0000)
        #expect(!KafkaVersion.kafkaKit.isEmpty)
        #expect(KafkaVersion.debugContexts.contains("broker") && KafkaVersion.debugContexts.contains("all"))
    }

    @Test("every property of librdkafka's table is read, with its scope, clients, default, type and aliases")
    func propertyTable() throws {
        let properties = KafkaConfiguration.librdkafkaProperties
        let rows = KafkaConfiguration.librdkafkaPropertyTable.split(separator: "\n").filter {
            $0.contains("|") && !$0.hasPrefix("Property") && !$0.hasPrefix("---")
        }
        #expect(properties.count == rows.count && properties.count > 150, "\(properties.count) of \(rows.count) rows")
        #expect(Set(properties.map { "\($0.scope) \($0.name)" }).count == properties.count, "each property once in its scope")
        let both = Set(properties.filter { $0.scope == .topic }.map(\.name)).intersection(properties.filter { $0.scope == .global }.map(\.name))
        #expect(both.contains("compression.codec") && both.count < 10, "\(both)")
        for p in properties where !both.contains(p.name) {
            #expect(KafkaConfiguration.scope(ofProperty: p.name) == p.scope, "\(p.name)")
            #expect(["low", "medium", "high"].contains(p.importance), "\(p.name)")
            #expect(!p.description.isEmpty && !p.description.contains("*Type:"), "\(p.name)")
        }
        let servers = try #require(properties.first { $0.name == "bootstrap.servers" })
        #expect(servers.aliasOf == "metadata.broker.list" && servers.scope == .global && servers.clients == .both && servers.type == "string")
        let acks = try #require(properties.first { $0.name == "acks" })
        #expect(acks.scope == .topic && acks.clients == .producer && acks.aliasOf == "request.required.acks")
        let group = try #require(properties.first { $0.name == "group.id" })
        #expect(group.clients == .consumer && group.aliasOf == nil && group.importance == "high")
        let size = try #require(properties.first { $0.name == "message.max.bytes" })
        #expect(size.range == "1000 .. 1000000000" && size.defaultValue == "1000000" && size.type == "integer")
        // A default holding "||": the columns after it are still found.
        let kinit = try #require(properties.first { $0.name == "sasl.kerberos.kinit.cmd" })
        #expect(kinit.defaultValue?.hasPrefix("kinit -R") == true && kinit.defaultValue?.contains(" || kinit -t") == true && kinit.importance == "low" && kinit.type == "string", "\(kinit)")
    }

    @Test("a broker's API versions are read from librdkafka's feature lines")
    func brokerAPIs() {
        let apis = RDKafkaBrokerAPIs.parse([
            "127.0.0.1:9092/bootstrap: Broker API support:",
            "127.0.0.1:9092/bootstrap:   ApiKey Produce (0) Versions 0..10",
            "127.0.0.1:9092/bootstrap:   ApiKey OffsetDelete (47) Versions 0..0",
            "127.0.0.1:9092/bootstrap:   ApiKey Unknown-75? (75) Versions 0..0",
            "127.0.0.1:9092/bootstrap:   ApiKey Broken (x) Versions 0..1",
            "Updated enabled protocol features to MsgVer1,ApiVersion",
        ])
        #expect(apis.keys.sorted() == [0, 47, 75])
        #expect(apis[0]?.name == "Produce" && apis[0]?.versions == 0...10)
        #expect(apis[47]?.name == "OffsetDelete")
    }
}
