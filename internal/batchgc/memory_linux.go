package batchgc

import "syscall"

// memoryAvailable is the smaller of the process's cgroup memory limit (v2, else v1)
// and the machine's memory.
func memoryAvailable() (int64, bool) {
	var info syscall.Sysinfo_t
	var machine int64
	if syscall.Sysinfo(&info) == nil {
		machine = int64(info.Totalram) * int64(info.Unit)
	}
	return minLimit(machine,
		readLimit("/sys/fs/cgroup/memory.max"),
		readLimit("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
}
