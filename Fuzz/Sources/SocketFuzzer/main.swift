// `kafka:BROKERS/TOPIC[?PROPS]` (KafkaSocket(parsing:)): a socket obeys its grammar and its
// description parses back to it; an error points into the text; no secret is shown.
import FuzzSupport
import KafkaKit
import KafkaKitConnections

/// What parsing `text` shows a user: the socket's dump and description, or the error's description.
func shown(_ text: String) -> String {
    do throws(KafkaError) {
        let socket = try KafkaSocket(parsing: text)
        var out = socket.description
        dump(socket, to: &out)
        return out
    } catch {
        return error.description
    }
}

runFuzzer { data in
    let text = String(decoding: data, as: UTF8.self)
    do throws(KafkaError) {
        checkSocket(try KafkaSocket(parsing: text), from: text)
    } catch {
        checkPositioned(error, in: text)
    }
    Secrets.checkHidden(in: text, at: Secrets.inSocket(text[...]), shown: shown)
}
