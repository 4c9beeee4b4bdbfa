package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/arkeep/arkeep/api"
	"github.com/arkeep/arkeep/batch"
	"github.com/arkeep/arkeep/domain"
)

// TestOpenAPIDocsCopy fails when docs/openapi.json and the copy embedded in the API
// (api/openapi.json) differ: edit one, copy it over the other.
func TestOpenAPIDocsCopy(t *testing.T) {
	docs, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, api.OpenAPI()) {
		t.Fatal("docs/openapi.json and api/openapi.json differ: copy the edited one over the other")
	}
}

func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

func TestOpenAPIServedAndComplete(t *testing.T) {
	e := newEnv(t, nil)
	r := e.get("", "/openapi.json")
	if r.status != 200 || !bytes.Equal(r.body, api.OpenAPI()) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	doc := openAPIDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/commands", "/api/v1/reports/ageing", "/api/v1/reports/baddebt", "/api/v1/reports/fund",
		"/api/v1/reports/schedule", "/api/v1/reports/worklist", "/api/v1/reports/kpi", "/openapi.json", "/healthz", "/metrics"} {
		if paths[p] == nil {
			t.Errorf("path %s not described", p)
		}
	}
	// Every described report exists, and no other route is described.
	for p := range paths {
		if name, ok := strings.CutPrefix(p, "/api/v1/reports/"); ok {
			if r := e.get(viewerToken, p+"?collector=ann&from=2026-01-01&to=2026-01-31"); r.status != 200 {
				t.Errorf("described report %s answers %d: %s", name, r.status, r.body)
			}
		}
	}
	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var at any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := at.(map[string]any)
					at = m[part]
				}
				if at == nil {
					t.Errorf("unresolved $ref %s", ref)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)
}

// TestOpenAPICommandSchemas checks the command schema against the parser: the 16
// commands, each one's fields exactly (a described field is never "unknown", every
// other field name is), its required fields, and its role.
func TestOpenAPICommandSchemas(t *testing.T) {
	doc := openAPIDoc(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	oneOf := schemas["Command"].(map[string]any)["oneOf"].([]any)
	var names []string
	props := map[string]map[string]bool{}
	required := map[string][]string{}
	descs := map[string]string{}
	allNames := map[string]bool{}
	for _, ref := range oneOf {
		key := strings.TrimPrefix(ref.(map[string]any)["$ref"].(string), "#/components/schemas/")
		s := schemas[key].(map[string]any)
		name := s["properties"].(map[string]any)["cmd"].(map[string]any)["const"].(string)
		names = append(names, name)
		props[name] = map[string]bool{}
		for p := range s["properties"].(map[string]any) {
			props[name][p] = true
			allNames[p] = true
		}
		for _, r := range s["required"].([]any) {
			required[name] = append(required[name], r.(string))
		}
		descs[name] = s["description"].(string)
		if s["additionalProperties"] != false {
			t.Errorf("%s: extra fields not refused in the schema", name)
		}
	}
	sort.Strings(names)
	if strings.Join(names, ",") != strings.Join(batch.Commands(), ",") {
		t.Fatalf("schema commands %v, parser %v", names, batch.Commands())
	}
	for _, name := range names {
		for field := range allNames {
			obj := map[string]any{"cmd": name, "id": "x", "on": "2026-01-01", field: nil}
			_, _, err := batch.ParseCommand(mustJSON(t, obj))
			fe, _ := domain.Refusal(err)
			unknown := fe != nil && fe.Field == field && strings.Contains(fe.Msg, "unknown field")
			if props[name][field] == unknown {
				t.Errorf("%s: field %s described %v, parser calls it unknown %v", name, field, props[name][field], unknown)
			}
		}
		// Leaving out a required field is refused naming it.
		for _, req := range required[name] {
			if req == "cmd" {
				continue
			}
			obj := map[string]any{"cmd": name}
			if req != "id" {
				obj["id"] = "x"
			}
			if req != "on" {
				obj["on"] = "2026-01-01"
			}
			_, _, err := batch.ParseCommand(mustJSON(t, obj))
			if fe, ok := domain.Refusal(err); !ok || fe.Field == "json" {
				t.Errorf("%s without %s: %v", name, req, err)
			}
		}
		admin := strings.Contains(descs[name], "Needs role admin")
		if admin != (api.CommandRole(name) == api.RoleAdmin) {
			t.Errorf("%s: described as admin-only %v, needs %s", name, admin, api.CommandRole(name))
		}
	}
	// The round-trip bodies of the tests have only described fields.
	for _, rt := range roundTrips {
		for _, body := range []string{rt.clerk, rt.admin} {
			if body == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			for k := range m {
				if !props[rt.cmd][k] {
					t.Errorf("%s: field %s not described", rt.cmd, k)
				}
			}
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
