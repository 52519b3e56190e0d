import Foundation
import Testing

@testable import KafkaKit

/// ``KafkaVersion/kafkaKit``: the one place a release writes KafkaKit's version.
@Suite("KafkaKit's version")
struct KafkaVersionTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("it is a semantic version: MAJOR.MINOR.PATCH, numbers without leading zeros, an optional pre-release")
    func semanticVersion() {
        #expect(Self.isSemanticVersion(KafkaVersion.kafkaKit), "\(KafkaVersion.kafkaKit)")
        for good in ["0.1.0", "1.20.3", "2.0.0-rc.1"] { #expect(Self.isSemanticVersion(good), "\(good)") }
        for bad in ["0.1", "01.1.0", "1.0.0.0", "v1.0.0", "1.0.x", ""] { #expect(!Self.isSemanticVersion(bad), "\(bad)") }
    }

    @Test("a commit tagged as a release (X.Y.Z or vX.Y.Z) carries that version")
    func releaseTag() throws {
        let tags = try Self.git(["tag", "--points-at", "HEAD"]).split(separator: "\n").map { $0.hasPrefix("v") ? String($0.dropFirst()) : String($0) }
        let releases = tags.filter(Self.isSemanticVersion)
        // Untagged commits (every one between releases) have nothing to agree with.
        for release in releases { #expect(release == KafkaVersion.kafkaKit, "tagged \(release), KafkaVersion.kafkaKit is \(KafkaVersion.kafkaKit)") }
    }

    static func isSemanticVersion(_ text: String) -> Bool {
        let (core, pre) = text.firstIndex(of: "-").map { (text[..<$0], Optional(text[text.index(after: $0)...])) } ?? (Substring(text), nil)
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) && ($0 == "0" || !$0.hasPrefix("0")) }) else { return false }
        guard let pre else { return true }
        return !pre.isEmpty && pre.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }
    }

    static func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments.joined(separator: " ")) failed")
        return String(decoding: output, as: UTF8.self)
    }
}
