/// Turns successive statistics documents of one client into metric updates: how much each
/// counter grew since the previous document, each gauge's value now, and which brokers and
/// partitions appeared or vanished (their metrics are made and destroyed accordingly).
///
/// librdkafka's counters are totals since the client (or the broker object) was made; a
/// counter is fed the difference. A total smaller than the previous one means its object was
/// made anew (a broker learned again): the whole total is new growth then. Documents skipped
/// in between (decoding fell behind) lose nothing: the next difference covers them.
struct RDKafkaStatisticsAccumulator: Sendable {
    struct PartitionKey: Hashable, Sendable, Comparable {
        var topic: String
        var partition: Int32

        static func < (lhs: PartitionKey, rhs: PartitionKey) -> Bool {
            (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
        }
    }

    /// One broker's values in this document.
    struct BrokerSample: Equatable, Sendable {
        var name: String
        var state: Int
        /// Microseconds.
        var rttAverage: Int64
        var rttP99: Int64
        var outbufLatencyAverage: Int64
        var outbufLatencyP99: Int64
    }

    /// One consumed partition's values in this document (`nil`: librdkafka does not know yet).
    struct PartitionSample: Equatable, Sendable {
        var key: PartitionKey
        var lag: Int64?
        var storedLag: Int64?
        var fetchQueueMessages: Int64
        var fetchQueueBytes: Int64
    }

    /// What to do to the metrics for one document.
    struct Update: Equatable, Sendable {
        // Counter increments.
        var messagesSent: Int64 = 0
        var messageBytesSent: Int64 = 0
        var messagesReceived: Int64 = 0
        var messageBytesReceived: Int64 = 0
        var requestErrors: Int64 = 0
        var requestTimeouts: Int64 = 0
        var rebalances: Int64 = 0
        // Gauges.
        var queuedMessages: Int64 = 0
        var queuedBytes: Int64 = 0
        var replyQueue: Int64 = 0
        var assignedPartitions: Int64? = nil
        /// Every broker of the document, by name; those new since the last one first get metrics.
        var brokers: [BrokerSample] = []
        var brokersAppeared: [String] = []
        var brokersGone: [String] = []
        /// Every consumed partition, in order; those new since the last document first get metrics.
        var partitions: [PartitionSample] = []
        var partitionsAppeared: [PartitionKey] = []
        var partitionsGone: [PartitionKey] = []
    }

    private struct Totals: Equatable, Sendable {
        var messagesSent: Int64 = 0
        var messageBytesSent: Int64 = 0
        var messagesReceived: Int64 = 0
        var messageBytesReceived: Int64 = 0
        var rebalances: Int64 = 0
    }

    private struct BrokerTotals: Equatable, Sendable {
        var errors: Int64 = 0
        var timeouts: Int64 = 0
    }

    private var totals = Totals()
    private var brokers: [String: BrokerTotals] = [:]
    private var partitions: Set<PartitionKey> = []

    /// The growth from `old` to `new` of a total (all of `new` if the total started again).
    static func growth(from old: Int64, to new: Int64) -> Int64 {
        new >= old ? new - old : max(0, new)
    }

    /// The documented encoding of a broker's `state`: 0 down (`INIT`, `DOWN`), 1 connecting
    /// (`TRY_CONNECT`, `CONNECT`, `SSL_HANDSHAKE`, `AUTH_LEGACY`, `AUTH_HANDSHAKE`, `AUTH_REQ`,
    /// `APIVERSION_QUERY`, `REAUTH`), 2 up (`UP`, `UPDATE`), -1 a state this version does not know.
    static func brokerState(_ name: String) -> Int {
        switch name {
        case "INIT", "DOWN": 0
        case "TRY_CONNECT", "CONNECT", "SSL_HANDSHAKE", "AUTH_LEGACY", "AUTH_HANDSHAKE", "AUTH_REQ",
            "APIVERSION_QUERY", "REAUTH": 1
        case "UP", "UPDATE": 2
        default: -1
        }
    }

    mutating func update(with statistics: RDKafkaStatistics) -> Update {
        var update = Update()
        let now = Totals(
            messagesSent: statistics.messagesSent, messageBytesSent: statistics.messageBytesSent,
            messagesReceived: statistics.messagesReceived, messageBytesReceived: statistics.messageBytesReceived,
            rebalances: statistics.group?.rebalances ?? totals.rebalances)
        update.messagesSent = Self.growth(from: totals.messagesSent, to: now.messagesSent)
        update.messageBytesSent = Self.growth(from: totals.messageBytesSent, to: now.messageBytesSent)
        update.messagesReceived = Self.growth(from: totals.messagesReceived, to: now.messagesReceived)
        update.messageBytesReceived = Self.growth(from: totals.messageBytesReceived, to: now.messageBytesReceived)
        update.rebalances = Self.growth(from: totals.rebalances, to: now.rebalances)
        totals = now
        update.queuedMessages = statistics.queuedMessages
        update.queuedBytes = statistics.queuedBytes
        update.replyQueue = statistics.replyQueue
        update.assignedPartitions = statistics.group?.assignmentSize

        // Brokers: every one but librdkafka's internal pseudo-broker, which never connects.
        var seenBrokers: [String: BrokerTotals] = [:]
        for (name, broker) in statistics.brokers.sorted(by: { $0.key < $1.key }) where broker.source != "internal" {
            let current = BrokerTotals(errors: broker.transmitErrors + broker.receiveErrors, timeouts: broker.requestTimeouts)
            let previous = brokers[name]
            if previous == nil { update.brokersAppeared.append(name) }
            update.requestErrors += Self.growth(from: previous?.errors ?? 0, to: current.errors)
            update.requestTimeouts += Self.growth(from: previous?.timeouts ?? 0, to: current.timeouts)
            seenBrokers[name] = current
            update.brokers.append(BrokerSample(
                name: name, state: Self.brokerState(broker.state),
                rttAverage: broker.rtt.avg, rttP99: broker.rtt.p99,
                outbufLatencyAverage: broker.outbufLatency.avg, outbufLatencyP99: broker.outbufLatency.p99))
        }
        update.brokersGone = brokers.keys.filter { seenBrokers[$0] == nil }.sorted()
        brokers = seenBrokers

        // Partitions the application consumes (a producer's are never `desired`).
        var seenPartitions: Set<PartitionKey> = []
        for (topic, entry) in statistics.topics {
            for partition in entry.partitions.values where partition.desired && partition.partition >= 0 {
                let key = PartitionKey(topic: topic, partition: partition.partition)
                seenPartitions.insert(key)
                update.partitions.append(PartitionSample(
                    key: key,
                    lag: partition.consumerLag >= 0 ? partition.consumerLag : nil,
                    storedLag: partition.consumerLagStored >= 0 ? partition.consumerLagStored : nil,
                    fetchQueueMessages: partition.fetchQueueMessages,
                    fetchQueueBytes: partition.fetchQueueBytes))
            }
        }
        update.partitions.sort { $0.key < $1.key }
        update.partitionsAppeared = seenPartitions.subtracting(partitions).sorted()
        update.partitionsGone = partitions.subtracting(seenPartitions).sorted()
        partitions = seenPartitions
        return update
    }
}
