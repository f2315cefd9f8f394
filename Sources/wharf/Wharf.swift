import ArgumentParser

@main
struct Wharf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wharf",
        abstract: "A static-asset and edge-CDN origin server.",
        subcommands: [Serve.self, SignURL.self]
    )
}
