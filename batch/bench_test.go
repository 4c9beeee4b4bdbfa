package batch

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/arkeep/arkeep/bench/ledgergen"
)

// BenchmarkParseCommand parses the lines of a generated ledger (registrations,
// invoices, payments with allocations, credit notes) one after the other, with each
// of decodeObject's readers for the object, so that they compare in one run.
func BenchmarkParseCommand(b *testing.B) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	ledgergen.Generate(w, 2000, 20, 1)
	w.Flush()
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	for _, r := range []struct {
		name string
		read func([]byte) (map[string]any, bool)
	}{{"scan", scanObject}, {"jsontext", tokenObject}} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := r.read(lines[i%len(lines)]); !ok {
					b.Fatalf("line %d not read", i%len(lines))
				}
			}
		})
	}
	b.Run("ParseCommand", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, _, err := ParseCommand(lines[i%len(lines)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
