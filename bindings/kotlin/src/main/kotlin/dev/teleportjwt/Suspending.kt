@file:JvmName("Suspending")

package dev.teleportjwt

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

// Suspending variants of the calls that may fetch keys (a first use, a rotation, a refresh
// after max age): they run on Dispatchers.IO so a coroutine never blocks its own dispatcher
// on the network. A call answered from the caches returns without fetching, on IO as well.

/** [Verifier.verify] without blocking the caller's dispatcher. */
suspend fun Verifier.verifySuspending(token: String): Identity = withContext(Dispatchers.IO) { verify(token) }

/** [Verifier.verifyHeaders] without blocking the caller's dispatcher. */
suspend fun Verifier.verifyHeadersSuspending(headers: List<Header>): Identity =
    withContext(Dispatchers.IO) { verifyHeaders(headers) }

/** [Verifier.verifyHeaderMap] without blocking the caller's dispatcher. */
suspend fun Verifier.verifyHeaderMapSuspending(headers: Map<String, String>): Identity =
    withContext(Dispatchers.IO) { verifyHeaderMap(headers) }

/** [Verifier.authorize] without blocking the caller's dispatcher. */
suspend fun Verifier.authorizeSuspending(token: String): Authorized = withContext(Dispatchers.IO) { authorize(token) }

/** [Verifier.authorizeHeaders] without blocking the caller's dispatcher. */
suspend fun Verifier.authorizeHeadersSuspending(headers: List<Header>): Authorized =
    withContext(Dispatchers.IO) { authorizeHeaders(headers) }

/** [Verifier.authorizeHeaderMap] without blocking the caller's dispatcher. */
suspend fun Verifier.authorizeHeaderMapSuspending(headers: Map<String, String>): Authorized =
    withContext(Dispatchers.IO) { authorizeHeaderMap(headers) }

/** [Verifier.warmUp] without blocking the caller's dispatcher. */
suspend fun Verifier.warmUpSuspending() = withContext(Dispatchers.IO) { warmUp() }
