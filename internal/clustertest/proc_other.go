//go:build !linux

package clustertest

import "os/exec"

// setDeathSignal is Linux-only; elsewhere a test killed mid-way may leave servers
// running until they are killed by hand.
func setDeathSignal(*exec.Cmd) {}
