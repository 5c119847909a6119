//go:build race

package blobnet

// raceEnabled skips the tests whose bounds are wall-clock times the race
// detector's slowdown would break; they run in the plain pass.
const raceEnabled = true
