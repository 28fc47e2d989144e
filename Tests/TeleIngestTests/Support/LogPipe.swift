import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A named pipe a child process writes its log into, copied into a file by a thread of the test
/// process. A file size limit set on the child (`prlimit --fsize`) then does not stop its log,
/// since a pipe is not a file that grows.
final class LogPipe: Sendable {
    /// The pipe's path: the child's output.
    let path: String
    private let descriptor: Int32
    private let stopping = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    /// A pipe beside `logFile`, copied into it until `close()`.
    init(copyingInto logFile: URL) throws {
        path = logFile.path + ".pipe"
        guard mkfifo(path, 0o600) == 0 else {
            throw TestSetupError("mkfifo \(path): \(String(cString: strerror(errno)))")
        }
        // Open for reading and writing: the open does not wait for a writer, and a child that
        // ends does not end the reading (the next child writes into the same pipe).
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw TestSetupError("open \(path): \(String(cString: strerror(errno)))") }
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while true {
                let stop = stopping.load(ordering: .relaxed)
                waiting.revents = 0
                if poll(&waiting, 1, stop ? 0 : 100) > 0 {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                    if count > 0 {
                        output.write(Data(buffer[0..<count]))
                        continue
                    }
                }
                if stop { break }
            }
            try? output.close()
            stopped.store(true, ordering: .sequentiallyConsistent)
        }
        thread.start()
    }

    /// Stops the copying (what the pipe still holds is copied first) and closes the pipe.
    func close() {
        stopping.store(true, ordering: .relaxed)
        while !stopped.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
        Glibc.close(descriptor)
        unlink(path)
    }
}
