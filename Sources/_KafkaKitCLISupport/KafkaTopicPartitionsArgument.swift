/// `TOPIC`, `TOPIC:PARTITION` or `TOPIC:P,P,...` on the command line (`kafka offsets`,
/// `groups reset-offsets --topic`, `records delete`). Topic names cannot hold `:`, so the
/// first one ends the name.
///
/// Not API: the `kafka` command's argument parsing.
public struct KafkaTopicPartitionsArgument: Sendable, Hashable {
    public var topic: String
    /// The partitions named, in order, without repeats; `nil` for every partition.
    public var partitions: [Int32]?

    /// Why an argument did not parse.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(topic: String, partitions: [Int32]?) {
        self.topic = topic
        self.partitions = partitions
    }

    public init(parsing text: String) throws(Problem) {
        guard let colon = text.firstIndex(of: ":") else {
            topic = text
            partitions = nil
            return
        }
        topic = String(text[..<colon])
        let list = text[text.index(after: colon)...]
        guard !list.isEmpty else { throw Problem(description: "'\(text)' names no partition after ':' (TOPIC:PARTITION[,PARTITION...])") }
        var seen: [Int32] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty, item.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int32(item) else {
                throw Problem(description: "'\(item)' in '\(text)' is not a partition number (0 or more)")
            }
            if !seen.contains(p) { seen.append(p) }
        }
        partitions = seen
    }
}
