import Foundation
import Testing

/// Every committed fuzz input (seeds, and each crash found so far, kept as a regression) through
/// its target in `wharf-fuzz` replay mode: no invariant may break. The libFuzzer runs themselves
/// are scripts/fuzz.sh, which scripts/test.sh runs briefly after the suite.
@Suite struct FuzzCorpusTests {
    /// One directory per target under fuzz/corpus (scripts/fuzz.sh refuses a target without one).
    static let targets = ((try? FileManager.default.contentsOfDirectory(
        atPath: HLSTests.repo.appendingPathComponent("fuzz/corpus").path)) ?? []).sorted()

    @Test func everyTargetHasACorpus() {
        #expect(Self.targets.count == 13, "corpora: \(Self.targets)")
    }

    @Test(arguments: Self.targets)
    func theCorpusKeepsEveryInvariant(_ target: String) async throws {
        let binary = try CLITests.binary().deletingLastPathComponent().appendingPathComponent("wharf-fuzz")
        let corpus = HLSTests.repo.appendingPathComponent("fuzz/corpus/\(target)")
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        #expect(files.count >= 3, "\(target): a corpus needs seeds")
        let run = try await HLSTests.tool([binary.path, target, corpus.path], timeout: .seconds(120))
        #expect(run.status == 0 && run.stdout.contains("\(files.count) inputs, no invariant broken"), "\(target): \(run.stdout)\(run.stderr.suffix(2000))")
    }
}
