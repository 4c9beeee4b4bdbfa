// Command gen writes a generated, valid ledger of Appendix A commands as JSON Lines, for
// load tests and benchmarks: go run ./bench/gen -commands 100000 > ledger.jsonl
package main

import (
	"bufio"
	"flag"
	"os"

	"github.com/arkeep/arkeep/bench/ledgergen"
)

func main() {
	n := flag.Int("commands", 100000, "number of commands to write")
	customers := flag.Int("customers", 0, "number of customers (default commands/100, at least 10)")
	seed := flag.Uint64("seed", 1, "random seed; the same seed writes the same file")
	flag.Parse()
	if *customers <= 0 {
		*customers = ledgergen.Customers(*n)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	ledgergen.Generate(w, *n, *customers, *seed)
}
