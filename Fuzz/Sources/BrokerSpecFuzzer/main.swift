// `[ID]BROKERS/TOPIC[?PROPS]` (KafkaBrokerSpec(parsing:), parseAll): a spec obeys its grammar
// and its description parses back to it; an error points into the text; no secret is shown.
import FuzzSupport
import KafkaKit
import KafkaKitConnections

/// What parsing `text` shows a user: the spec's dump and description, or the error's description.
func shown(_ text: String) -> String {
    do throws(KafkaError) {
        let spec = try KafkaBrokerSpec(parsing: text)
        var out = spec.description
        dump(spec, to: &out)
        return out
    } catch {
        return error.description
    }
}

runFuzzer { data in
    let text = String(decoding: data, as: UTF8.self)
    do throws(KafkaError) {
        let spec = try KafkaBrokerSpec(parsing: text)
        checkBrokerSpec(spec, from: text)
        // The same ID twice is refused, naming the second spec.
        do throws(KafkaError) {
            _ = try KafkaBrokerSpec.parseAll([text, text])
            check(false, "'\(text)' given twice is accepted")
        } catch {
            check(error.message.contains("duplicate broker ID") && error.message.contains("spec 2"), "'\(text)' twice: \(error)")
        }
    } catch {
        checkPositioned(error, in: text)
    }
    Secrets.checkHidden(in: text, at: Secrets.inBrokerSpec(text), shown: shown)
}
