// The code and detail of a VerifyError, read from the one text the core writes for every
// refusal, "<code>: <detail>" (each case's `message`): no table of reasons is kept in Swift.
// NOT compiled yet: no Swift toolchain on the machines this was written on (see README).

extension VerifyError {
    /// The core's whole message: `"<code>: <detail>"`.
    public var message: String {
        // Every case carries exactly one value, the message (a flat UniFFI error).
        for child in Mirror(reflecting: self).children {
            if let text = child.value as? String { return text }
            if let text = Mirror(reflecting: child.value).children.first?.value as? String { return text }
        }
        return ""
    }

    /// The stable snake_case reason code, e.g. `"audience_mismatch"`: the same in every language.
    public var code: String {
        String(message.prefix(while: { $0 != ":" }))
    }

    /// What went wrong and, where possible, what to change, for humans and logs. Never parse it.
    public var detail: String {
        let prefix = code + ": "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }
}
