import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A daemon-like child (one that forks) started with `posix_spawn` in its own process group.
///
/// Foundation's `Process` notices a child's exit by a socket the child inherits; a child that
/// forks hands that socket to its children, and `waitUntilExit()` then waits for them too
/// (swift-corelibs-foundation#4795). This child starts through bash, which closes every inherited
/// descriptor before `exec`, and is stopped by killing its whole group and reaping it here.
struct Spawned {
    let pid: pid_t

    /// Starts `path` with `arguments`; standard output and error go to the file `output`.
    init(_ path: String, _ arguments: [String], output: String = "/dev/null") throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let script = #"for p in /proc/$$/fd/*; do f=${p##*/}; (( f > 2 && f != 255 )) && eval "exec $f>&-" 2>/dev/null; done; exec "$@""#
        let argv = (["/bin/bash", "-c", script, "bash", path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, "/bin/bash", &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestFailure("posix_spawn \(path): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    /// Waits for the child to exit and returns its exit status (128 + n when killed by signal n).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Kills the child and everything it forked, and reaps the child.
    func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
