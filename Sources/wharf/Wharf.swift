import ArgumentParser
import Foundation

@main
struct Wharf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wharf",
        abstract: "A static-asset and edge-CDN origin server.",
        subcommands: [Serve.self, Build.self, Purge.self, SignURL.self, HLS.self]
    )

    /// As ArgumentParser's, except that `wharf purge` and `wharf build` exit 2 on a usage error
    /// (not 64): deploy and build scripts tell usage, failed files, auth, provider and
    /// reachability failures apart by exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if ["purge", "build"].contains(CommandLine.arguments.dropFirst().first), exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(Purge.Exit.usage)
            }
            exit(withError: error)
        }
    }
}
