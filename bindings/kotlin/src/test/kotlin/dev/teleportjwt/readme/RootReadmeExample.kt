package dev.teleportjwt.readme

import dev.teleportjwt.*

fun teleport(): Verifier = Verifier.teleportJwt(proxyUrl = "https://teleport.example.com",
    clusterName = "teleport.example.com", audience = "mcp+http://127.0.0.1:8000/mcp")
fun whoami(verifier: Verifier, headers: Map<String, String>): String =
    verifier.verifyHeaderMap(headers).username  // throws VerifyException.Expired, ...
