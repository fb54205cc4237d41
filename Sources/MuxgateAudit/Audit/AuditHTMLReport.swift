import MuxgateConfig
import MuxgateWire

/// Renders `muxgate audit report --html`: one self-contained page (inline CSS and JS, no assets).
///
/// The chain status and the summary come first, then a table of calls filtered in the page by a
/// text box and selects (server, decision, outcome). Denied calls are highlighted.
package struct AuditHTMLReport: Sendable {
    package let entries: [AuditEntry]
    package let verification: AuditVerification
    package let source: String
    package let generated: String

    package init(entries: [AuditEntry], verification: AuditVerification, source: String, generated: String) {
        self.entries = entries
        self.verification = verification
        self.source = source
        self.generated = generated
    }

    package var html: String {
        let summary = AuditSummary(entries: entries)
        let calls = AuditCall.join(entries)
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>muxgate audit report</title>
            <style>\(Self.style)</style></head><body>
            <h1>muxgate audit report</h1>
            <p class="meta">\(escape(source)) · generated \(escape(generated))</p>

            """
        page += chainStatus
        page += summarySection(summary)
        page += "<h2>Calls</h2>\n<div class=\"filters\">"
        page += "<input id=\"q\" type=\"search\" placeholder=\"Filter calls…\" aria-label=\"Filter calls\">"
        page += select("server", "All servers", Set(calls.map(\.server)))
        page += select("decision", "All decisions", Set(calls.map(\.verdict)))
        page += select("outcome", "All outcomes", Set(calls.map { $0.outcomeName ?? "none" }))
        page += "<span id=\"count\">\(calls.count) of \(calls.count) calls</span></div>\n"
        page += "<table id=\"calls\"><thead><tr><th>Time</th><th>Session</th><th>Server</th><th>Tool</th>"
        page += "<th>Decision</th><th>Rule / reason</th><th>Approval</th><th>Outcome</th><th>ms</th><th>Arguments</th>"
        page += "</tr></thead><tbody>\n"
        for call in calls { page += row(call) }
        page += "</tbody></table>\n<script>\(Self.script)</script>\n</body></html>\n"
        return page
    }

    private var chainStatus: String {
        var out: String
        if let error = verification.error {
            out =
                "<section id=\"chain\" class=\"status bad\"><strong>Chain not verified:</strong> \(escape("\(error)"))"
        } else if let failure = verification.failure {
            out = "<section id=\"chain\" class=\"status bad\"><strong>Chain TAMPERED:</strong> "
            out += escape(
                "\(failure.problem.rawValue) at seq \(failure.seq) (\(failure.file):\(failure.line)) — \(failure.message)"
            )
        } else {
            let range = verification.firstSeq.map { "seq \($0)–\(verification.lastSeq ?? $0)" } ?? "no records"
            out = "<section id=\"chain\" class=\"status ok\"><strong>Chain intact:</strong> "
            out += escape(
                "\(verification.records) records, \(range), \(verification.keyed ? "HMAC-SHA-256" : "SHA-256")"
            )
        }
        if let anchor = verification.anchor, verification.error == nil {
            out += "<p>\(escape(anchor.summary))</p>"
        }
        if !verification.warnings.isEmpty {
            out += "<ul>"
            for warning in verification.warnings {
                out +=
                    "<li>\(escape("\(warning.kind.rawValue): \(warning.message) (\(warning.file):\(warning.line))"))</li>"
            }
            out += "</ul>"
        }
        return out + "</section>\n"
    }

    private func summarySection(_ s: AuditSummary) -> String {
        var out = "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
        let cards = [
            ("calls", s.calls), ("allowed", s.calls - s.denied - s.asked), ("asked", s.asked), ("denied", s.denied),
            ("errors", s.errors), ("sessions", s.sessions), ("records", s.records),
        ]
        for (label, value) in cards {
            out += "<div class=\"card \(label)\"><b>\(value)</b><span>\(label)</span></div>"
        }
        out += "</div>"
        if let first = s.firstTS, let last = s.lastTS {
            out += "<p class=\"meta\">\(escape(first)) – \(escape(last))</p>"
        }
        out += table(
            "Calls per tool",
            ["Server", "Tool", "Calls", "Allowed", "Asked", "Denied", "Errors"],
            s.tools.map {
                [$0.server, $0.tool, "\($0.calls)", "\($0.allowed)", "\($0.asked)", "\($0.denied)", "\($0.errors)"]
            }
        )
        out += table("Denials by rule", ["Rule", "Denied"], s.denialsByRule.map { [$0.rule, "\($0.count)"] })
        out += table("Errors", ["Outcome", "Calls"], s.errorsByOutcome.map { [$0.outcome, "\($0.count)"] })
        out += table(
            "Slowest tools",
            ["Server", "Tool", "Timed", "Mean", "Max"],
            s.slowest.map {
                [$0.server, $0.tool, "\($0.durations.count)", AuditSummary.ms($0.meanMS), AuditSummary.ms($0.maxMS)]
            }
        )
        return out + "</section>\n"
    }

    private func table(_ title: String, _ header: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "" }
        var out = "<h3>\(escape(title))</h3><table class=\"small\"><thead><tr>"
        out += header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { out += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
        return out + "</tbody></table>"
    }

    private func select(_ name: String, _ all: String, _ values: Set<String>) -> String {
        var out =
            "<select id=\"f-\(name)\" data-key=\"\(name)\" aria-label=\"\(escape(all))\"><option value=\"\">\(escape(all))</option>"
        for value in values.sorted() { out += "<option>\(escape(value))</option>" }
        return out + "</select>"
    }

    private func row(_ call: AuditCall) -> String {
        let d = call.decision
        let outcome = call.outcomeName ?? "none"
        var classes = ["call", call.verdict]
        if outcome != "ok" && outcome != "none" { classes.append("error") }
        let rule = [d.text("rule"), d.text("reason")].compactMap { $0 }.joined(separator: " — ")
        let detail = [outcome == "none" ? "" : outcome, call.outcome?.text("error") ?? ""].filter { !$0.isEmpty }
        let cells = [
            d.ts, String(d.session.prefix(8)), call.server, call.tool, call.verdict, rule,
            call.approval?.text("approval") ?? "", detail.joined(separator: ": "),
            call.durationMS.map { "\(($0 * 10).rounded() / 10)" } ?? "",
            d["args"].map { String($0.text.prefix(300)) } ?? "",
        ]
        var out = "<tr class=\"\(classes.joined(separator: " "))\" data-server=\"\(escape(call.server))\""
        out += " data-decision=\"\(escape(call.verdict))\" data-outcome=\"\(escape(outcome))\" data-seq=\"\(d.seq)\">"
        return out + cells.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
    }

    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{margin:0 0 .2em}
        .meta{color:#666;margin:.2em 0 1em}.status{padding:.7em 1em;border-radius:6px;margin:1em 0}
        .status.ok{background:#e6f4ea;border:1px solid #7bc48d}.status.bad{background:#fde8e8;border:1px solid #e07a7a}
        .cards{display:flex;gap:.8em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;min-width:5em}
        .card b{display:block;font-size:1.5em}.card span{color:#666}.card.denied b{color:#b00020}
        table{border-collapse:collapse;margin:.5em 0 1em}th,td{border-bottom:1px solid #eee;padding:.3em .6em;text-align:left;vertical-align:top}
        th{background:#f6f6f6}#calls td:last-child{font-family:monospace;font-size:12px;max-width:40em;word-break:break-all}
        tr.deny{background:#fde8e8}tr.deny td:nth-child(5){color:#b00020;font-weight:bold}tr.ask{background:#fff8e1}
        tr.error td:nth-child(8){color:#b00020}.filters{display:flex;gap:.6em;align-items:center;margin:.5em 0}
        .filters input{min-width:18em;padding:.3em}#count{color:#666}
        """

    private static let script = """
        (function(){
          var q=document.getElementById('q'),selects=document.querySelectorAll('.filters select'),
              rows=document.querySelectorAll('#calls tbody tr'),count=document.getElementById('count');
          function apply(){
            var text=q.value.toLowerCase(),shown=0;
            rows.forEach(function(r){
              var ok=!text||r.textContent.toLowerCase().indexOf(text)>=0;
              selects.forEach(function(s){if(s.value&&r.getAttribute('data-'+s.dataset.key)!==s.value)ok=false;});
              r.style.display=ok?'':'none';if(ok)shown++;
            });
            count.textContent=shown+' of '+rows.length+' calls';
          }
          q.addEventListener('input',apply);selects.forEach(function(s){s.addEventListener('change',apply);});
          // A link can carry filters: report.html#decision=deny&q=git presets them.
          location.hash.slice(1).split('&').forEach(function(pair){
            var kv=pair.split('='),key=decodeURIComponent(kv[0]||''),value=decodeURIComponent(kv[1]||'');
            if(key==='q'){q.value=value;}
            selects.forEach(function(s){if(s.dataset.key===key)s.value=value;});
          });
          apply();
        })();
        """
}
