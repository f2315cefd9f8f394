import Foundation

/// `wharf-fuzz`: the fuzz targets of issue #7, two ways.
///
/// Built normally it replays inputs: `wharf-fuzz TARGET FILE|DIR…` runs every file through the
/// target (the test suite replays the committed corpora and every crash found so far this way).
/// Built by `scripts/fuzz.sh` (`-DFUZZING -sanitize=fuzzer,address`) it is a libFuzzer binary for
/// the target named by `WHARF_FUZZ_TARGET`, taking libFuzzer's usual flags.
@main
struct WharfFuzz {
    static func main() {
        #if FUZZING
        guard let name = ProcessInfo.processInfo.environment["WHARF_FUZZ_TARGET"], let target = FuzzTargets.all[name] else {
            fail("set WHARF_FUZZ_TARGET to one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))")
        }
        current = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            current?(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
        #else
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.count >= 2, let target = FuzzTargets.all[args[0]] else {
            fail("usage: wharf-fuzz TARGET FILE|DIR...   (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
        }
        var count = 0
        for path in args.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("\(path) does not exist") }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { fail("\(file) cannot be read") }
                target([UInt8](data))
                count += 1
            }
        }
        print("\(args[0]): \(count) inputs, no invariant broken")
        #endif
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("wharf-fuzz: \(message)\n".utf8))
        exit(2)
    }
}

#if FUZZING
/// The target of this process (libFuzzer's callback is a C function: it cannot capture).
nonisolated(unsafe) var current: (@Sendable ([UInt8]) -> Void)?

/// libFuzzer's entry point for programs that have their own `main` (SwiftPM names the executable's
/// entry point itself, so libFuzzer's `main` cannot be used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif
