package rpc

import (
	"strings"
	"testing"
)

// A lazchain error keeps its code and message; anything else (a web
// server's page, an empty 404 from a proxy) says --node is probably wrong,
// with a short printable start of what came back.
func TestErrorFromForeignAnswers(t *testing.T) {
	cases := []struct {
		name, body       string
		code, want, miss string
	}{
		{"lazchain error", `{"error":{"code":"not_found","message":"no block 9"}}`, "not_found", "no block 9", "is --node right"},
		{"html page", "<!DOCTYPE HTML>\n<html>\n<head>" + strings.Repeat("x", 500), "http", "is --node right", strings.Repeat("x", 100)},
		{"empty", "", "http", "an empty body", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := errorFrom(404, []byte(c.body))
			ae, ok := err.(*APIError)
			if !ok || ae.Code != c.code || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want code %s mentioning %q", err, c.code, c.want)
			}
			if c.miss != "" && strings.Contains(err.Error(), c.miss) {
				t.Fatalf("error %q holds %q", err, c.miss)
			}
		})
	}
}
