import CTcl
import KafkaKit

extension TclCallbacks {
    /// On the interpreter's thread: hands one event's worth of reports, errors, statistics and
    /// log lines to their callbacks.
    func deliver(_ events: [TclHandleEvent], interp: TclInterp, client name: String) {
        Tcl.preserving(interp) { deliverPreserved(events, interp: interp, client: name) }
    }

    private func deliverPreserved(_ events: [TclHandleEvent], interp: TclInterp, client name: String) {
        for event in events {
            // Deleted by a callback: what is left can only go to stderr.
            if Tcl_InterpDeleted(interp) != 0 {
                TclCallbacks.writeFailure(event, client: name)
                continue
            }
            switch event {
            case .report(let report, let payload, let key):
                let failed = !report.isDelivered
                guard selection.selects(failed: failed) else { continue }
                if let script = deliveryReport {
                    script.call(interp, [TclMessage.deliveryReport(report, payload: payload, key: key)])
                } else if failed {
                    reportFailure(report, interp: interp, client: name)
                }
            case .failedDelivery(let report):
                if let script = deliveryReport, selection.selects(failed: true) {
                    script.call(interp, [TclMessage.deliveryReport(report, payload: [], key: nil)])
                } else {
                    reportFailure(report, interp: interp, client: name)
                }
            case .error(let error):
                reportError(error, reason: error.message, interp: interp, client: name)
            case .statistics(let json):
                statistics?.call(interp, [Tcl.new(json)])
            case .log(let line):
                log(line, interp: interp, client: name)
            }
        }
    }

    /// A failed delivery nobody asked a report of: to the error callback, else the log.
    private func reportFailure(_ report: KafkaDeliveryReport, interp: TclInterp, client name: String) {
        let reason = "delivery to \(report.topic) [\(report.partition)] failed: \(report.errorCode.explanation)"
        reportError(KafkaError(code: report.errorCode, message: reason), reason: reason, interp: interp, client: name)
    }

    /// A client error: to the error callback, else to the logger destination at level 3.
    private func reportError(_ error: KafkaError, reason: String, interp: TclInterp, client name: String) {
        if let script = self.error {
            script.call(interp, [TclMessage.errorCallback(error, reason: reason)])
        } else {
            log(TclLogLine(level: 3, facility: "ERROR", message: reason), interp: interp, client: name)
        }
    }

    /// A log line to the `logger` destination (a line posted for the callback may find the
    /// destination changed since: it goes where the destination is now).
    private func log(_ line: TclLogLine, interp: TclInterp, client name: String) {
        switch logDestination.current {
        case .callback:
            if let script = logCallback { script.call(interp, [TclMessage.logLine(line)]) }
        case .stderr, .syslog:
            line.write(to: logDestination.current, client: name)
        case .none:
            break
        }
    }

    /// A failed delivery that can no longer reach Tcl (at exit, in a deleted interpreter):
    /// written to stderr, so that it is never silent.
    static func writeFailure(_ event: TclHandleEvent, client: String, when: String = "") {
        let report: KafkaDeliveryReport
        switch event {
        case .report(let r, _, _) where !r.isDelivered: report = r
        case .failedDelivery(let r): report = r
        default: return
        }
        TclLogLine(
            level: 3, facility: "ERROR",
            message: "delivery to \(report.topic) [\(report.partition)] failed\(when): \(report.errorCode.explanation)"
        ).write(to: .stderr, client: client)
    }
}
