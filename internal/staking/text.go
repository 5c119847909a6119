package staking

import (
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkName refuses a name that is not valid UTF-8 or holds a control
// character. Names travel as JSON strings, which turn invalid UTF-8 into
// U+FFFD: a light client that rebuilt a set from them hashed other bytes
// than the certificate signed, and every audit past that epoch failed.
// The rule reads no Unicode tables, which differ between Go releases:
// nodes built by two releases must agree on every transaction's result.
func checkName(name string) *Failure {
	if !utf8.ValidString(name) || strings.ContainsFunc(name, isControl) {
		return fail(BadText, "name %q is not UTF-8 free of control characters", name)
	}
	return nil
}

// checkNetAddr refuses an address other nodes could not dial: printable
// ASCII, host:port, with a host and a port from 1 to 65535.
func checkNetAddr(addr string) *Failure {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || strings.ContainsFunc(addr, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fail(BadText, "net addr %q is not host:port", addr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fail(BadText, "net addr %q: port %q is not 1 to 65535", addr, port)
	}
	return nil
}

// isControl is a C0 or C1 control character, or DEL: fixed ranges, not
// a Unicode table.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }
