import Foundation

extension KafkaConfiguration {
    /// librdkafka's largest `statistics.interval.ms` (a day).
    static let maximumStatisticsInterval: Duration = .milliseconds(86_400_000)

    /// With metrics on, sets `statistics.interval.ms` to their interval unless it is set;
    /// refuses an interval librdkafka cannot take, or statistics turned off explicitly.
    mutating func applyMetricsInterval() throws(KafkaError) {
        guard let metrics else { return }
        if let explicit = properties["statistics.interval.ms"] {
            if Int64(explicit.trimmingCharacters(in: .whitespaces)) == 0 {
                throw KafkaError(
                    code: .invalidArgument,
                    message: "metrics need librdkafka's statistics, but statistics.interval.ms is 0: "
                        + "remove it (metrics.interval then applies) or set it above 0",
                    property: "statistics.interval.ms")
            }
            return  // librdkafka checks it like any property
        }
        guard metrics.interval >= .milliseconds(1), metrics.interval <= Self.maximumStatisticsInterval else {
            throw KafkaError(
                code: .invalidArgument,
                message: "metrics.interval must be between 1 millisecond and 24 hours, not \(metrics.interval)",
                property: "metrics.interval")
        }
        properties["statistics.interval.ms"] = String(metrics.interval.wholeMilliseconds)
    }

    /// Whether librdkafka will emit statistics (after ``applyMetricsInterval()``).
    var emitsStatistics: Bool {
        (properties["statistics.interval.ms"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } ?? 0) > 0
    }
}
