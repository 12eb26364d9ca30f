// The code and detail of a VerifyError, derived rather than tabled, as in Kotlin: each case is
// named after its reason code by the core (`Reason::type_name`), and the core writes every
// message as "<code>: <detail>".

extension VerifyError {
    /// The case's one value: the core's whole message, `"<code>: <detail>"`.
    public var message: String {
        guard let value = Mirror(reflecting: self).children.first?.value else { return "" }
        if let text = value as? String { return text }
        return Mirror(reflecting: value).children.first?.value as? String ?? ""
    }

    /// The stable snake_case reason code, e.g. `"audience_mismatch"`: the same in every language.
    public var code: String {
        let name = Mirror(reflecting: self).children.first?.label ?? "\(self)"
        var code = ""
        for (i, c) in name.enumerated() {
            if c.isUppercase && i > 0 { code.append("_") }
            code.append(contentsOf: c.lowercased())
        }
        return code
    }

    /// What went wrong and, where possible, what to change, for humans and logs. Never parse it.
    public var detail: String {
        let prefix = code + ": "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }
}
