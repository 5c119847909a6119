package staking

import (
	"net"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// checkName refuses a name that is not printable UTF-8. Names travel as
// JSON strings, which turn invalid UTF-8 into U+FFFD: a light client that
// rebuilt a set from them hashed other bytes than the certificate signed,
// and every audit past that epoch failed.
func checkName(name string) *Failure {
	if !printable(name) {
		return fail(BadText, "name %q is not printable UTF-8", name)
	}
	return nil
}

// checkNetAddr refuses an address other nodes could not dial: it must be
// host:port, printable, with a host and a port from 1 to 65535.
func checkNetAddr(addr string) *Failure {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !printable(addr) || host == "" {
		return fail(BadText, "net addr %q is not host:port", addr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fail(BadText, "net addr %q: port %q is not 1 to 65535", addr, port)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
