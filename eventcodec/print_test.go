package eventcodec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/arkeep/arkeep/domain"
)

// marshalCommit is EncodeCommit as it was written before print.go: the wire structs
// through encoding/json's Marshal. Every stored commit was written that way.
func marshalCommit(t testing.TB, c Commit) []byte {
	w := wireCommit{V: FormatVersion, Scope: c.Scope, Account: c.Account, Commands: make([]wireCommand, len(c.Commands))}
	for i, cmd := range c.Commands {
		wc := &w.Commands[i]
		wc.ID, wc.Hash = cmd.ID, cmd.Hash
		wc.RecordedAt = cmd.RecordedAt.UTC().Format(recordedAtLayout)
		wc.Events = make([]wireEnvelope, len(cmd.Events))
		for j, e := range cmd.Events {
			env, err := envelope(e)
			if err != nil {
				t.Fatal(err)
			}
			wc.Events[j] = env
		}
	}
	b, err := json.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPrintAsMarshal holds EncodeCommit and EncodeEvent to Marshal's bytes for every
// event type with every field set, with optional fields unset, and for the commits an
// import writes.
func TestPrintAsMarshal(t *testing.T) {
	unset := []domain.Event{
		domain.ReminderSent{On: d1, Step: "s", Action: domain.ActNotice},
		domain.PaymentRecorded{On: d1, Payment: "P1", Currency: eur, Allocations: []domain.Allocation{}},
		domain.CreditAssessed{On: d1, Key: domain.KeyIndicators{AnnualSales: domain.RatingA,
			MonthlySales: domain.RatingA, PaymentMethod: domain.RatingA, PaymentRecord: domain.RatingA}, Grade: 1},
		domain.CustomerRegistered{On: d1, Customer: "C1", Name: "n"},
	}
	for _, e := range append(sampleEvents(), unset...) {
		got, err := EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		env, err := envelope(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nprinted   %s\nMarshal   %s", e.Type(), got, want)
		}
	}
	ledgerScope := Commit{Scope: ScopeLedger, Commands: []CommandRecord{{ID: "close", Hash: "h",
		RecordedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Events: []domain.Event{domain.QuarterClosed{On: d3, Quarter: q1}}}}}
	for _, c := range []Commit{sampleCommit(), importCommit(), ledgerScope, {Scope: ScopeAccount, Account: "C1"}} {
		got, err := EncodeCommit(c)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalCommit(t, c); !bytes.Equal(got, want) {
			t.Errorf("commit of %s:\nprinted %s\nMarshal %s", c.Account, got, want)
		}
	}
}

// FuzzPrintAsMarshal puts any string in every plain string field of every event type
// (ids, names, notes, reasons...) and in the command's id, and holds EncodeCommit to
// Marshal's bytes.
func FuzzPrintAsMarshal(f *testing.F) {
	for _, s := range []string{"", "INV-1", `"\`, "\b\f\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029",
		"\xff\xfe", "é😀", "a\xc3", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := sampleCommit()
		c.Account = "C" + s
		for i := range c.Commands {
			cmd := &c.Commands[i]
			cmd.ID = s
			for j, e := range cmd.Events {
				v := reflect.New(reflect.TypeOf(e)).Elem()
				v.Set(reflect.ValueOf(e))
				for k := range v.NumField() {
					if v.Field(k).Type() == reflect.TypeFor[string]() {
						v.Field(k).SetString(s)
					}
				}
				cmd.Events[j] = v.Interface().(domain.Event)
			}
		}
		got, err := EncodeCommit(c)
		if err != nil {
			return // the codec refuses some values (an empty required id...) either way
		}
		if want := marshalCommit(t, c); !bytes.Equal(got, want) {
			t.Fatalf("printed %s\nMarshal %s", got, want)
		}
	})
}

// BenchmarkPrintCommit prints an import's commit of 30 commands with EncodeCommit and
// with Marshal (the way commits were written before print.go), in one run.
func BenchmarkPrintCommit(b *testing.B) {
	c := importCommit()
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			marshalCommit(b, c)
		}
	})
	b.Run("print", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			EncodeCommit(c)
		}
	})
}
