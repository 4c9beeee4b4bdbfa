package batchgc

import "testing"

// On Linux the machine's memory is always known, so Set always has a limit to set
// (unless GOMEMLIMIT is).
func TestMemoryAvailableOnThisMachine(t *testing.T) {
	avail, ok := memoryAvailable()
	if !ok || avail < 64<<20 {
		t.Fatalf("memoryAvailable() = %d, %v; want at least 64 MiB", avail, ok)
	}
	t.Logf("memory available: %d MiB", avail>>20)
}
