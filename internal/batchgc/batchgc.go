// Package batchgc sets the garbage collector for a batch job, such as an import:
// a run that ends, where time matters more than the memory it holds meanwhile.
//
// With Go's default target (GOGC=100) the collector marks the heap each time it has
// doubled. In a million-command import its mark workers took 12% of the CPU profile,
// and allocations assisted the marking on top: the live heap (the books, the
// embedded server's write cache) is marked again at every cycle. At twice the target
// the same import used 7–19% less user CPU, for about half a gigabyte more peak
// memory (docs/architecture.md, "Import throughput", has the figures). Four times
// the target was no faster and cost another 0.5–1 GB.
//
// The operator's word wins: with GOGC set, Set leaves the target alone. So that
// the larger target cannot take a machine's memory, Set also puts a soft limit at
// three quarters of the memory the process may have (its cgroup's limit or the
// machine's, the smaller), unless GOMEMLIMIT is set: near the limit the collector
// works harder instead of growing the heap.
package batchgc

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Percent is the collector's target for a batch job (GOGC's unit).
const Percent = 200

// Set sets the collector for a batch job and returns a function that puts back what
// it changed. The serving process keeps Go's defaults: it runs for months, and its
// memory is what an operator plans for.
func Set() (restore func()) {
	return set(os.Getenv, memoryAvailable)
}

// set is Set with the environment and the memory available given.
func set(getenv func(string) string, available func() (int64, bool)) (restore func()) {
	var restores []func()
	if getenv("GOGC") == "" {
		old := debug.SetGCPercent(Percent)
		restores = append(restores, func() { debug.SetGCPercent(old) })
	}
	if getenv("GOMEMLIMIT") == "" {
		if avail, ok := available(); ok {
			old := debug.SetMemoryLimit(avail / 4 * 3)
			restores = append(restores, func() { debug.SetMemoryLimit(old) })
		}
	}
	return func() {
		for _, r := range restores {
			r()
		}
	}
}

// minLimit returns the smaller of the limits that are set (positive and not
// "unlimited"); false if none is.
func minLimit(limits ...int64) (int64, bool) {
	least, ok := int64(math.MaxInt64), false
	for _, l := range limits {
		// cgroup v1 writes "no limit" as the largest page-aligned int64.
		if l > 0 && l < math.MaxInt64/2 && l < least {
			least, ok = l, true
		}
	}
	return least, ok
}

// readLimit reads a cgroup limit file: a number of bytes, or "max"; 0 when there is
// no number to read.
func readLimit(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
