// swift-tools-version:6.1
// The libFuzzer target for the payload path; built apart from the main package because every
// module in it is compiled with -sanitize=fuzzer,address. Run it with scripts/fuzz SECONDS.
import PackageDescription

let package = Package(
    name: "TeleIngestFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "payload-fuzz",
            dependencies: [.product(name: "DevicePayloads", package: "main")]
        )
    ]
)
