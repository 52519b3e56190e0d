import Testing

@testable import KafkaKit

/// The admin client's cache of its brokers' API table (``RDKafkaBrokerAPIs/Cache``): probed
/// once, forgotten when a broker connection is lost, never filled by a probe older than that.
@Suite("broker API table cache")
struct BrokerAPIsCacheTests {
    static let table = RDKafkaBrokerAPIs.parse([
        "127.0.0.1:9092/bootstrap:   ApiKey DeleteGroups (42) Versions 0..2",
        "127.0.0.1:9092/bootstrap:   ApiKey OffsetDelete (47) Versions 0..0",
    ])

    /// The generation a lookup asks to probe with; `nil` when it found a table.
    static func probeGeneration(_ cache: RDKafkaBrokerAPIs.Cache) -> Int? {
        if case .probe(let generation) = cache.lookup() { return generation }
        return nil
    }

    static func knownKeys(_ cache: RDKafkaBrokerAPIs.Cache) -> [Int]? {
        if case .known(let table) = cache.lookup() { return table.keys.sorted() }
        return nil
    }

    @Test("empty, it asks for a probe; the probe's table is then used without another")
    func probeOnce() throws {
        var cache = RDKafkaBrokerAPIs.Cache()
        let generation = try #require(Self.probeGeneration(cache))
        #expect(Self.probeGeneration(cache) == generation)  // two concurrent checks may both probe
        cache.store(Self.table, probedIn: generation)
        #expect(Self.knownKeys(cache) == [42, 47])
        #expect(Self.knownKeys(cache) == [42, 47])
    }

    @Test("a lost broker connection forgets the table; a probe begun before it does not fill the cache, one begun after does")
    func invalidation() throws {
        var cache = RDKafkaBrokerAPIs.Cache()
        let first = try #require(Self.probeGeneration(cache))
        cache.store(Self.table, probedIn: first)
        cache.brokerConnectionFailed()
        let second = try #require(Self.probeGeneration(cache))
        #expect(second != first)
        // A probe that was running while the connection went.
        cache.store(Self.table, probedIn: first)
        #expect(Self.probeGeneration(cache) == second)
        let downgraded = RDKafkaBrokerAPIs.parse(["b:   ApiKey DeleteGroups (42) Versions 0..1"])
        cache.store(downgraded, probedIn: second)
        #expect(Self.knownKeys(cache) == [42])
    }

    @Test("a probe that read no API line is not kept: the next check probes again")
    func emptyNotKept() throws {
        var cache = RDKafkaBrokerAPIs.Cache()
        let generation = try #require(Self.probeGeneration(cache))
        cache.store(RDKafkaBrokerAPIs.parse(["Broker API support:", "no ApiKey here"]), probedIn: generation)
        #expect(Self.probeGeneration(cache) == generation)
    }

    @Test("the table is read from librdkafka's lines: name, key and version range; malformed lines are passed over")
    func parse() {
        let apis = RDKafkaBrokerAPIs.parse([
            "127.0.0.1:9092/bootstrap:   ApiKey DeleteGroups (42) Versions 0..2",
            "127.0.0.1:9092/bootstrap:   ApiKey Odd (43) Versions 3..1",
            "127.0.0.1:9092/bootstrap:   ApiKey Short (44) Versions 7",
            "127.0.0.1:9092/bootstrap:   ApiKey NoKey () Versions 0..1",
        ])
        #expect(apis.keys.sorted() == [42])
        #expect(apis[42]?.name == "DeleteGroups" && apis[42]?.versions == 0...2)
    }
}
