#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread for the operating system (`top -H`, `perf`, `/proc/PID/task/*/comm`).
///
/// Foundation's `Thread.name` does not reach the kernel on Linux, and `pthread_setname_np` is not
/// imported into Swift; writing `/proc/thread-self/comm` does the same. Best effort: elsewhere, or
/// when it fails, the thread keeps its name. The kernel keeps 15 bytes.
package func nameThisThread(_ name: String) {
    #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = writeAll(Array(name.utf8.prefix(15)), to: descriptor)
    #endif
}
