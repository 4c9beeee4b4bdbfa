package batchgc

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// gcPercent is the collector's target now.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// memoryLimit is the soft memory limit now.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

func TestSetAndRestore(t *testing.T) {
	const gib = int64(1) << 30
	eightGiB := func() (int64, bool) { return 8 * gib, true }
	unknown := func() (int64, bool) { return 0, false }
	for _, tc := range []struct {
		name        string
		env         map[string]string
		available   func() (int64, bool)
		wantPercent bool  // Set sets the target to Percent
		wantLimit   int64 // Set sets this limit; 0: none
	}{
		{"defaults", nil, eightGiB, true, 6 * gib},
		{"GOGC set", map[string]string{"GOGC": "50"}, eightGiB, false, 6 * gib},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, eightGiB, true, 0},
		{"memory unknown", nil, unknown, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Start from values Set would never choose, so a change shows.
			oldPercent, oldLimit := debug.SetGCPercent(77), debug.SetMemoryLimit(3*gib+1)
			t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })

			restore := set(func(k string) string { return tc.env[k] }, tc.available)
			wantP, wantL := 77, 3*gib+1
			if tc.wantPercent {
				wantP = Percent
			}
			if tc.wantLimit != 0 {
				wantL = tc.wantLimit
			}
			if p, l := gcPercent(), memoryLimit(); p != wantP || l != wantL {
				t.Errorf("after Set: GC percent %d, memory limit %d; want %d, %d", p, l, wantP, wantL)
			}
			restore()
			if p, l := gcPercent(), memoryLimit(); p != 77 || l != 3*gib+1 {
				t.Errorf("after restore: GC percent %d, memory limit %d; want 77, %d", p, l, 3*gib+1)
			}
		})
	}
}

func TestMinLimit(t *testing.T) {
	const v1Unlimited = 9223372036854771712 // what cgroup v1 writes for no limit
	for _, tc := range []struct {
		limits []int64
		want   int64
		ok     bool
	}{
		{[]int64{16 << 30, 2 << 30, 0}, 2 << 30, true},
		{[]int64{16 << 30, 0, v1Unlimited}, 16 << 30, true},
		{[]int64{0, 0}, 0, false},
		{[]int64{v1Unlimited}, 0, false},
	} {
		got, ok := minLimit(tc.limits...)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("minLimit(%v) = %d, %v; want %d, %v", tc.limits, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReadLimit(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]int64{"max\n": 0, "1073741824\n": 1 << 30, "": 0} {
		path := filepath.Join(dir, "memory.max")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := readLimit(path); got != want {
			t.Errorf("readLimit of %q = %d; want %d", content, got, want)
		}
	}
	if got := readLimit(filepath.Join(dir, "absent")); got != 0 {
		t.Errorf("readLimit of a missing file = %d; want 0", got)
	}
}
