//go:build !linux

package batchgc

// memoryAvailable is not known here: Set leaves the memory limit alone.
func memoryAvailable() (int64, bool) { return 0, false }
