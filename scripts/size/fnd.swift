import Foundation
let d = Date()
let data = try! JSONEncoder().encode(["a": 1, "b": 2])
let url = URL(fileURLWithPath: "/tmp/x")
print(d.timeIntervalSince1970 > 0, data.count, url.path, ProcessInfo.processInfo.processIdentifier > 0, UUID().uuidString.count)
