// Package cli defines lazchain's cobra commands. Each command parses and
// checks its flags, builds the components it needs through their
// constructors, and runs them; no protocol logic lives here.
package cli
