// Package crypto names the signature scheme that consensus runs on.
//
// It owns the Scheme and Signer interfaces and nothing else: the real
// implementation is BLS12-381 (package crypto/bls); the deterministic
// simulator may swap in a fast stand-in (package crypto/simsig) that still
// rejects forged and wrong-key signatures. Consensus code never imports an
// implementation, only these interfaces, so both paths run the same logic.
//
// Domain separation (chain id, epoch, message kind) is the caller's job and is
// built into the signed bytes by package types; a Scheme signs opaque bytes.
package crypto
