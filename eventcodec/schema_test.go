package eventcodec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/domain"
)

// schemaDir is where the generated JSON Schemas are committed.
var schemaDir = filepath.Join("..", "docs", "events")

// wireTypes maps every current event type to its wire struct, for the schemas.
var wireTypes = map[string]reflect.Type{
	domain.TypeCustomerRegistered:    reflect.TypeFor[wireCustomerRegistered](),
	domain.TypeCreditAssessed:        reflect.TypeFor[wireCreditAssessed](),
	domain.TypeInvoiceIssued:         reflect.TypeFor[wireInvoiceIssued](),
	domain.TypePaymentRecorded:       reflect.TypeFor[wirePaymentRecorded](),
	domain.TypeCreditNoteIssued:      reflect.TypeFor[wireCreditNoteIssued](),
	domain.TypeExtensionGranted:      reflect.TypeFor[wireExtensionGranted](),
	domain.TypeDisputeOpened:         reflect.TypeFor[wireDisputeOpened](),
	domain.TypeDisputeResolved:       reflect.TypeFor[wireDisputeResolved](),
	domain.TypeInvoiceWrittenOff:     reflect.TypeFor[wireInvoiceWrittenOff](),
	domain.TypeInvoiceBecameDoubtful: reflect.TypeFor[wireInvoiceBecameDoubtful](),
	domain.TypePromiseRecorded:       reflect.TypeFor[wirePromiseRecorded](),
	domain.TypeActionRecorded:        reflect.TypeFor[wireActionRecorded](),
	domain.TypeReminderSent:          reflect.TypeFor[wireReminderSent](),
	domain.TypeFundAgreed:            reflect.TypeFor[wireFundAgreed](),
	domain.TypeViolationReported:     reflect.TypeFor[wireViolationReported](),
	domain.TypeViolationConfirmed:    reflect.TypeFor[wireViolationConfirmed](),
	domain.TypeViolationRejected:     reflect.TypeFor[wireViolationRejected](),
	domain.TypeFundRebated:           reflect.TypeFor[wireFundRebated](),
	domain.TypeFundForfeited:         reflect.TypeFor[wireFundForfeited](),
	domain.TypeBountyAwarded:         reflect.TypeFor[wireBountyAwarded](),
	domain.TypeQuarterClosed:         reflect.TypeFor[wireQuarterClosed](),
}

// obj is a JSON object that keeps its keys in insertion order, so schemas list
// properties in wire-struct order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

const datePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`

// stringSchema is the schema of a string field by its schema tag.
func stringSchema(kind string) obj {
	switch kind {
	case "":
		return obj{{"type", "string"}}
	case "amount":
		return obj{{"type", "string"}, {"pattern", amountPattern},
			{"description", "exact decimal, never a float"}}
	case "date":
		return obj{{"type", "string"}, {"format", "date"}, {"pattern", datePattern}}
	case "timestamp":
		return obj{{"type", "string"}, {"format", "date-time"},
			{"pattern", `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`}}
	case "currency":
		return obj{{"type", "string"}, {"pattern", "^[A-Z]{3}$"},
			{"description", "active ISO 4217 currency code"}}
	case "quarter":
		return obj{{"type", "string"}, {"pattern", "^[0-9]{4}Q[1-4]$"}}
	case "rating":
		return obj{{"type", "string"}, {"enum", []string{"A", "B", "C"}}}
	case "action":
		var names []string
		for _, a := range []domain.Action{domain.ActNotice, domain.ActPreDueReminder,
			domain.ActDueReminder, domain.ActReminder, domain.ActShortPaymentNotice, domain.ActCall,
			domain.ActVisit, domain.ActDirectDemand, domain.ActCreditHold, domain.ActEscalate,
			domain.ActBadDebtReview} {
			names = append(names, a.String())
		}
		return obj{{"type", "string"}, {"enum", names}}
	case "reason":
		var names []string
		for _, r := range []domain.WriteOffReason{domain.ReasonBankruptcy, domain.ReasonWilfulDefault,
			domain.ReasonUncollectable, domain.ReasonOther} {
			names = append(names, r.String())
		}
		return obj{{"type", "string"}, {"enum", names}}
	case "scope":
		return obj{{"type", "string"}, {"enum", []string{ScopeAccount, ScopeLedger}}}
	}
	panic("unknown schema tag " + kind)
}

// typeSchema derives a schema from a wire type by reflection on its json tags.
func typeSchema(t reflect.Type, kind string) obj {
	switch t.Kind() {
	case reflect.String:
		return stringSchema(kind)
	case reflect.Bool:
		return obj{{"type", "boolean"}}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if kind == "version" {
			return obj{{"const", FormatVersion}}
		}
		return obj{{"type", "integer"}}
	case reflect.Slice:
		return obj{{"type", "array"}, {"items", typeSchema(t.Elem(), kind)}}
	case reflect.Struct:
		if t == reflect.TypeFor[wireEnvelope]() {
			return envelopeRefs()
		}
		var props obj
		required := []string{}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				panic(fmt.Sprintf("%s.%s has no json name", t.Name(), f.Name))
			}
			props = append(props, kv{name, typeSchema(f.Type, f.Tag.Get("schema"))})
			if !slices.Contains(strings.Split(opts, ","), "omitempty") {
				required = append(required, name)
			}
		}
		return obj{{"type", "object"}, {"properties", props}, {"required", required},
			{"additionalProperties", false}}
	}
	panic(fmt.Sprintf("no schema for %s", t))
}

func sortedTypes() []string {
	types := make([]string, 0, len(wireTypes))
	for typ := range wireTypes {
		types = append(types, typ)
	}
	slices.Sort(types)
	return types
}

func envelopeRefs() obj {
	var refs []obj
	for _, typ := range sortedTypes() {
		refs = append(refs, obj{{"$ref", typ + ".schema.json"}})
	}
	return obj{{"oneOf", refs}}
}

const draft = "https://json-schema.org/draft/2020-12/schema"

func eventSchema(typ string, data reflect.Type) obj {
	return obj{
		{"$schema", draft},
		{"title", typ},
		{"description", "Stored form of one " + typ + " event. Generated from the wire structs in " +
			"eventcodec by: go test ./eventcodec -run TestEventSchemasUpToDate -update (do not edit)."},
		{"type", "object"},
		{"properties", obj{
			{"type", obj{{"const", typ}}},
			{"on", stringSchema("date")},
			{"data", typeSchema(data, "")},
		}},
		{"required", []string{"type", "on", "data"}},
		{"additionalProperties", false},
	}
}

func commitSchema() obj {
	s := typeSchema(reflect.TypeFor[wireCommit](), "")
	return append(obj{
		{"$schema", draft},
		{"title", "commit"},
		{"description", "One JetStream message: the events one or more commands produced for one " +
			"scope (account set for the account scope, absent for the ledger scope). Generated " +
			"from the wire structs in eventcodec by: go test ./eventcodec -run " +
			"TestEventSchemasUpToDate -update (do not edit)."},
	}, append(s,
		kv{"if", obj{{"properties", obj{{"scope", obj{{"const", ScopeAccount}}}}}}},
		kv{"then", obj{{"required", []string{"account"}}}},
		kv{"else", obj{{"not", obj{{"required", []string{"account"}}}}}},
	)...)
}

// generateSchemas returns every schema file's name and content.
func generateSchemas(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string]any{"commit.schema.json": commitSchema()}
	for _, typ := range sortedTypes() {
		files[typ+".schema.json"] = eventSchema(typ, wireTypes[typ])
	}
	out := map[string][]byte{}
	for name, s := range files {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = append(b, '\n')
	}
	return out
}

func TestEventSchemasUpToDate(t *testing.T) {
	want := generateSchemas(t)
	onDisk, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(schemaDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range onDisk {
			if _, ok := want[filepath.Base(p)]; !ok {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join(schemaDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	const hint = "run: go test ./eventcodec -run TestEventSchemasUpToDate -update"
	for _, p := range onDisk {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("%s is not generated from any wire struct; %s", p, hint)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		got, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil {
			t.Errorf("%v; %s", err, hint)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("%s is out of date with the wire structs; %s", filepath.Join(schemaDir, name), hint)
		}
	}
}

// TestSamplesMatchSchemaShape checks the sample events against the generated
// schemas' property lists: every data key is declared, every required key present.
func TestSamplesMatchSchemaShape(t *testing.T) {
	for _, e := range sampleEvents() {
		raw, err := EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		s := typeSchema(wireTypes[e.Type()], "")
		props, required := s[1].v.(obj), s[2].v.([]string)
		for k := range env.Data {
			if !slices.ContainsFunc(props, func(p kv) bool { return p.k == k }) {
				t.Errorf("%s: data key %q not in schema", e.Type(), k)
			}
		}
		for _, k := range required {
			if _, ok := env.Data[k]; !ok {
				t.Errorf("%s: required key %q missing", e.Type(), k)
			}
		}
	}
}
