// Package rpc is the node's HTTP JSON API and the client that the CLI uses.
//
// Every error is JSON, {"error":{"code":"...","message":"..."}}, with a 4xx
// status for bad input; bodies are size-limited and requests time out. The
// server reads from the node's thread-safe accessors and never touches the
// consensus core.
package rpc
