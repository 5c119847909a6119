//go:build !race

package blobnet

const raceEnabled = false
