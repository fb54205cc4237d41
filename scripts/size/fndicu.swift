import Foundation
let d = Date()
let data = try! JSONEncoder().encode(["a": 1, "b": 2])
let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
let re = try! NSRegularExpression(pattern: "^[a-z]+$")
let s = "hello"
let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
print(f.string(from: d).count, data.count, m, "x".trimmingCharacters(in: .whitespaces))
