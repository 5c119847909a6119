// Package config reads and checks a node's home directory: config.toml
// (how this node runs), genesis.json (what the chain is), and the node and
// consensus keys. Every check runs at start and fails with a message that
// names the file, the field and what to do.
package config
