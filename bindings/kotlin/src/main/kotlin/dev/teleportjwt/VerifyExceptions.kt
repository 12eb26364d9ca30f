@file:JvmName("VerifyExceptions")

package dev.teleportjwt

// The code and detail of a VerifyException, derived rather than tabled: each subclass is named
// after its reason code by the core (`Reason::type_name`, with UniFFI's Error -> Exception
// renaming), and the core writes every message as "<code>: <detail>". From Java:
// VerifyExceptions.getCode(e), VerifyExceptions.getDetail(e).

private val wordStart = Regex("(?<=[a-z0-9])(?=[A-Z])")

/** The stable snake_case reason code, e.g. `"audience_mismatch"`: the same in every language. */
val VerifyException.code: String
    get() {
        val name = javaClass.simpleName
        val reason = if (name.endsWith("Exception")) name.removeSuffix("Exception") + "Error" else name
        return reason.replace(wordStart, "_").lowercase()
    }

/** What went wrong and, where possible, what to change, for humans and logs. Never parse it. */
val VerifyException.detail: String
    get() = message.orEmpty().removePrefix("$code: ")
