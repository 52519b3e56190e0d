// swift-tools-version: 6.1
// A Hummingbird 2 service on KafkaKit: a package of its own, so that KafkaKit's users never
// resolve Hummingbird. `make example` (in the repository root) builds it and runs its test.
import PackageDescription

let package = Package(
    name: "OrderPipeline",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "KafkaKit", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "OrderPipeline",
            dependencies: [
                .product(name: "KafkaKit", package: "KafkaKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "OrderPipelineTests",
            dependencies: [
                "OrderPipeline",
                .product(name: "KafkaKit", package: "KafkaKit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
